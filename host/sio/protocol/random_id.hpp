#pragma once
// Secrets and unguessable identifiers: Engine.IO sids, Socket.IO socket ids, workflow ids.
// Whoever knows a sid controls that session (it can post into it or upgrade it), so every
// byte comes from the kernel's CSPRNG, getrandom(2), and none from a generator in this
// process, whose state a fork would copy and an observer could reconstruct
// (docs/security.md, "Session ids").

#include <cstddef>
#include <span>
#include <string>

namespace gleitzeit::sio {

/// Fills `out` from getrandom(2). Throws std::system_error if the kernel refuses, which it
/// does not once its pool is initialised (always, after boot).
void random_bytes(std::span<unsigned char> out);

/// 20 characters of URL-safe base64 (A-Z a-z 0-9 - _) carrying 120 random bits.
std::string random_id();

} // namespace gleitzeit::sio
