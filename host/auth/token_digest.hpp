#pragma once
// Tokens as the hub keeps them: the SHA-256 digest, in lowercase hex. A config may give the
// digest (`token_sha256`) so that the file need not hold the secret, and a presented token is
// hashed and compared in constant time (docs/security.md, "Tokens").

#include <optional>
#include <string>
#include <string_view>

namespace gleitzeit::auth {

/// The SHA-256 of `token` as 64 lowercase hex digits.
std::string token_sha256(std::string_view token);

/// `hex` in lowercase if it is a SHA-256 digest (64 hex digits, any case), else nullopt.
std::optional<std::string> normalized_sha256(std::string_view hex);

/// Whether two digests are equal, taking the same time wherever they differ.
bool same_digest(std::string_view a, std::string_view b);

} // namespace gleitzeit::auth
