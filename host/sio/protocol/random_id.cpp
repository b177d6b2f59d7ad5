#include "sio/protocol/random_id.hpp"

#include <array>
#include <random>

namespace gleitzeit::sio {

std::string random_id() {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // One engine per thread, seeded from the OS: ids must not be predictable across sessions.
    thread_local std::mt19937_64 engine{[] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }()};
    std::string id(20, ' ');
    auto a = engine();
    auto b = engine();
    for (std::size_t i = 0; i < 10; ++i) {
        id[i] = alphabet[a & 63];
        a >>= 6;
        id[10 + i] = alphabet[b & 63];
        b >>= 6;
    }
    return id;
}

} // namespace gleitzeit::sio
