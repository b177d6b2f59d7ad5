#pragma once
// Engine.IO v4 packet codec: pure functions, no I/O, so they can be unit-tested and fuzzed.
//
// A text packet is one type digit followed by its data. Over WebSocket a binary frame is a
// message packet without a type digit; over HTTP long-polling a binary packet travels as
// 'b' + base64, and several packets are joined with the record separator 0x1e.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::sio::engine {

enum class packet_type : char {
    open = '0',
    close = '1',
    ping = '2',
    pong = '3',
    message = '4',
    upgrade = '5',
    noop = '6',
};

/// One Engine.IO packet. Text data views into the buffer it was decoded from; the bytes of
/// a binary packet decoded from base64 live in the packet itself.
struct packet {
    packet_type type = packet_type::message;
    bool binary = false;
    std::string_view text;
    std::string decoded;
    bool from_base64 = false; // a long-polling binary packet: its bytes are in `decoded`

    std::string_view data() const { return from_base64 ? std::string_view(decoded) : text; }
};

/// One outgoing Engine.IO packet: the full text ("4..." or "2") or the bytes of a binary
/// message. A broadcast shares one encoded string among all its sessions.
struct frame {
    std::shared_ptr<const std::string> shared;
    std::string owned;
    bool binary = false;
    std::uint8_t control = 0; // a WebSocket control frame's opcode (transport use only)

    std::string_view bytes() const { return shared ? std::string_view(*shared) : owned; }
};

inline constexpr char record_separator = '\x1e';

/// Decodes one text packet ("4hello", "2probe"). Returns nullopt on an unknown type or an
/// empty string.
std::optional<packet> decode_text(std::string_view text);

/// Decodes an HTTP long-polling payload into its packets. Returns nullopt when any packet
/// is invalid: the whole payload is refused, never half applied.
std::optional<std::vector<packet>> decode_payload(std::string_view payload);

/// Appends one packet to a long-polling payload under construction.
void append_to_payload(std::string& payload, char type, std::string_view data, bool binary);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

} // namespace gleitzeit::sio::engine
