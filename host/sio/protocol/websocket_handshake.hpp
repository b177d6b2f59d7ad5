#pragma once
// The two values of the WebSocket opening handshake (RFC 6455, 4.1 and 4.2.2): the
// client's random Sec-WebSocket-Key and the server's Sec-WebSocket-Accept that proves it
// read the key. Both sides of host/sio do the handshake by hand, so that frames arriving
// right behind it stay in our own buffer.

#include <string>
#include <string_view>

namespace gleitzeit::sio::ws {

/// A fresh Sec-WebSocket-Key: base64 of 16 random bytes.
std::string make_key();

/// Sec-WebSocket-Accept for `key`: base64(SHA-1(key + the RFC's GUID)).
std::string accept_for(std::string_view key);

} // namespace gleitzeit::sio::ws
