#pragma once
// SHA-1 (FIPS 180-4), for the one place the protocol needs it: the WebSocket handshake's
// Sec-WebSocket-Accept. Not for anything that needs collision resistance.

#include <array>
#include <cstdint>
#include <string_view>

namespace gleitzeit::sio {

using sha1_digest = std::array<std::uint8_t, 20>;

sha1_digest sha1(std::string_view bytes);

} // namespace gleitzeit::sio
