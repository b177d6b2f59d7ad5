#pragma once
// Unguessable identifiers for Engine.IO sids and Socket.IO socket ids.

#include <string>

namespace gleitzeit::sio {

/// 20 characters of URL-safe base64 from 120 random bits.
std::string random_id();

} // namespace gleitzeit::sio
