#pragma once
// Socket.IO v5 packet codec: pure functions over strings and Boost.JSON values.
//
// Wire form: <type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]
// Binary attachments stay out of the JSON: the data holds placeholders
// {"_placeholder":true,"num":N} and the N-th attachment travels as its own Engine.IO
// binary message right after the packet, in order.

#include "sio/protocol/json_depth.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::sio {

enum class packet_type : char {
    connect = '0',
    disconnect = '1',
    event = '2',
    ack = '3',
    connect_error = '4',
    binary_event = '5',
    binary_ack = '6',
};

/// What an event or an ack carries: JSON arguments, and the binary attachments that the
/// placeholders among them refer to.
struct message {
    boost::json::array args;
    std::vector<std::string> attachments;
};

/// The handler shapes the server's sockets and the client's sockets share.
/// Answers the peer's ack request; empty when the peer asked for none. Call once.
using ack_fn = std::function<void(message reply)>;
using event_handler = std::function<void(message& args, const ack_fn& ack)>;
using any_handler = std::function<void(std::string_view event, message& args, const ack_fn& ack)>;
/// Gets the peer's ack, or nullopt when it did not come in time or the connection closed.
using reply_handler = std::function<void(std::optional<message> reply)>;

/// The JSON placeholder that stands for attachment `num`.
boost::json::value placeholder(std::size_t num);
/// The attachment index of a placeholder, or nullopt if `v` is not one.
std::optional<std::size_t> placeholder_index(const boost::json::value& v);

struct packet {
    packet_type type = packet_type::event;
    std::string nsp = "/";
    std::optional<std::uint64_t> id;
    boost::json::value data; // null when the packet carries none
    std::size_t attachments = 0;
};

/// The text of a packet. Binary types carry `attachments` in their header.
std::string encode(const packet& p);

/// The text of an EVENT (or BINARY_EVENT when `m` has attachments): [event, args...].
/// `prefix` goes in front ("4", the Engine.IO message type), saving a copy on the hot path.
std::string encode_event(std::string_view nsp, std::string_view event, const message& m,
                         std::optional<std::uint64_t> id = std::nullopt,
                         std::string_view prefix = {});
/// The text of an ACK (or BINARY_ACK when `m` has attachments): [args...].
std::string encode_ack(std::string_view nsp, std::uint64_t id, const message& m,
                       std::string_view prefix = {});

struct decode_result {
    std::optional<packet> value;
    std::string error; // why the text is not a valid packet, when value is empty
};

/// Decodes and validates the text of a packet: the type, the header, the JSON (nested at
/// most max_json_depth deep) and the shape the type requires (an EVENT is a non-empty array
/// starting with a string, ...).
decode_result decode(std::string_view text);

/// True when every placeholder in `v` names an attachment below `count`.
bool placeholders_valid(const boost::json::value& v, std::size_t count);

} // namespace gleitzeit::sio
