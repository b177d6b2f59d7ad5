#include "sio/protocol/websocket_handshake.hpp"

#include "sio/protocol/engine_packet.hpp"
#include "sio/protocol/random_id.hpp"
#include "sio/protocol/sha1.hpp"

#include <array>

namespace gleitzeit::sio::ws {

std::string make_key() {
    // RFC 6455 asks for a nonce, not a secret; the OS's bytes serve for both.
    std::array<unsigned char, 16> bytes;
    random_bytes(bytes);
    return engine::base64_encode(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
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
