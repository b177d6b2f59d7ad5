#include "auth/token_digest.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

namespace gleitzeit::auth {

std::string token_sha256(std::string_view token) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest;
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * digest.size());
    for (auto b : digest) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

std::optional<std::string> normalized_sha256(std::string_view hex) {
    if (hex.size() != 2 * SHA256_DIGEST_LENGTH)
        return std::nullopt;
    std::string out(hex);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'F')
            c = static_cast<char>(c - 'A' + 'a');
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return std::nullopt;
    }
    return out;
}

bool same_digest(std::string_view a, std::string_view b) {
    // Digests have one length, so comparing lengths first tells an attacker nothing.
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace gleitzeit::auth
