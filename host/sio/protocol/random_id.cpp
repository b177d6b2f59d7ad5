#include "sio/protocol/random_id.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace gleitzeit::sio {

void random_bytes(std::span<unsigned char> out) {
    std::size_t filled = 0;
    while (filled < out.size()) {
        // Requests up to 256 bytes are never cut short once the pool is ready; the loop is
        // for a signal that interrupts a larger one.
        auto n = ::getrandom(out.data() + filled, out.size() - filled, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw std::system_error(errno, std::generic_category(), "getrandom");
        }
        filled += static_cast<std::size_t>(n);
    }
}

std::string random_id() {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::array<unsigned char, 15> bytes; // 120 bits: 20 characters of 6 bits
    random_bytes(bytes);
    std::string id;
    id.reserve(20);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6)
            id += alphabet[(v >> shift) & 63];
    }
    return id;
}

} // namespace gleitzeit::sio
