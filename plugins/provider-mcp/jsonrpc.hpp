#pragma once
// JSON-RPC 2.0 as MCP uses it (one message per stdio line or per HTTP body / SSE event):
// building the messages provider-mcp sends and reading, strictly, what a server sends. A
// server is a separate program, maybe a buggy one; what does not read as a message is refused
// with a reason for the log, never half-understood.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::provider_mcp_detail::jsonrpc {

// The error codes of JSON-RPC 2.0, section 5.1.
inline constexpr std::int64_t parse_error = -32700;
inline constexpr std::int64_t invalid_request = -32600;
inline constexpr std::int64_t method_not_found = -32601;
inline constexpr std::int64_t invalid_params = -32602;
inline constexpr std::int64_t internal_error = -32603;

/// {"jsonrpc":"2.0","id":id,"method":method,"params":params}; no "params" when absent.
boost::json::object request(std::int64_t id, std::string_view method,
                            std::optional<boost::json::object> params = std::nullopt);
/// {"jsonrpc":"2.0","method":method,"params":params}; no "params" when absent.
boost::json::object notification(std::string_view method,
                                 std::optional<boost::json::object> params = std::nullopt);
/// The reply to a server's request: {"jsonrpc":"2.0","id":id,"result":result}.
boost::json::object result(const boost::json::value& id, boost::json::object result);
/// {"jsonrpc":"2.0","id":id,"error":{"code":code,"message":message}}.
boost::json::object error(const boost::json::value& id, std::int64_t code,
                          std::string_view message);

enum class kind { request, notification, result, error };

struct message {
    jsonrpc::kind kind = kind::notification;
    boost::json::value id;     // request, result, error (null for an error about no request)
    std::string method;        // request, notification
    boost::json::object params; // request, notification; empty when absent
    boost::json::value result; // result
    std::int64_t error_code = 0;
    std::string error_message;
    boost::json::value error_data; // null when absent
};

/// Reads one message. nullopt with `why` set (e.g. "'jsonrpc' is not \"2.0\"") when `v` is not
/// a JSON-RPC 2.0 message.
std::optional<message> read(const boost::json::value& v, std::string& why);

/// Parses `text` as one message or a batch (an array of messages, which an HTTP body may be).
/// Empty with `why` set when the text is not JSON or any element is not a message.
std::vector<message> parse(std::string_view text, std::string& why);

/// The id as the integer provider-mcp's requests carry; nullopt for a string or null id,
/// which cannot answer one of them.
std::optional<std::int64_t> integer_id(const boost::json::value& id);

/// The "<code>: <message>" of an error response, for task errors and logs.
std::string describe_error(const message& m);

} // namespace gleitzeit::provider_mcp_detail::jsonrpc
