#include "sio/protocol/websocket_handshake.hpp"

#include "sio/protocol/engine_packet.hpp"
#include "sio/protocol/sha1.hpp"

#include <array>
#include <random>

namespace gleitzeit::sio::ws {

std::string make_key() {
    // The key only has to differ between handshakes (RFC 6455 asks for a nonce, not a
    // secret), so one seeded engine per thread is enough.
    thread_local std::mt19937 rng{std::random_device{}()};
    std::array<char, 16> bytes;
    for (auto& b : bytes)
        b = static_cast<char>(rng() & 0xff);
    return engine::base64_encode(std::string_view(bytes.data(), bytes.size()));
}

std::string accept_for(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input;
    input.reserve(key.size() + guid.size());
    input.append(key).append(guid);
    auto digest = sha1(input);
    return engine::base64_encode(
        std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

} // namespace gleitzeit::sio::ws
