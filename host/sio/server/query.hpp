#pragma once
// The query parameters of an Engine.IO request (EIO, transport, sid), parsed from a
// request target. Pure; unit-tested.

#include <optional>
#include <string>
#include <string_view>

namespace gleitzeit::sio::engine {

struct request_query {
    std::string_view path;
    std::optional<std::string> eio;
    std::optional<std::string> transport;
    std::optional<std::string> sid;
};

request_query parse_query(std::string_view target);

/// Why the query is refused, as Engine.IO's JSON error body, or empty when it is fine.
/// `websocket` says whether the request is a WebSocket upgrade.
std::string query_error(const request_query& q, bool websocket);

} // namespace gleitzeit::sio::engine
