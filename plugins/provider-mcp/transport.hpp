#pragma once
// How a server_session reaches its server: a child's stdin/stdout (stdio_transport) or HTTP
// POSTs (http_transport). Everything runs on the provider's io thread; a transport calls its
// handlers there, never inside one of its own methods (so a handler may call back into it).

#include "jsonrpc.hpp"

#include "gleitzeit/host.hpp"
#include "gleitzeit/types.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace gleitzeit::provider_mcp_detail {

struct transport_handlers {
    /// A message from the server.
    std::function<void(jsonrpc::message)> message;
    /// The connection is gone (the child exited, the server forgot the session): every
    /// request in flight is lost and the session must start over.
    std::function<void(const std::string& why)> down;
    /// One request failed in transport (HTTP status, connection refused, no answer in the
    /// stream); the connection as a whole may still be fine.
    std::function<void(std::int64_t id, task_error error)> request_failed;
    std::function<void(log_level, const std::string&)> log;
};

class transport {
public:
    virtual ~transport() = default;
    /// Where the transport reports; set once, before open().
    virtual void set_handlers(transport_handlers h) = 0;
    /// Starts a new connection (spawns the child); handlers of an earlier one stop coming.
    /// Throws std::runtime_error when it cannot (no such program).
    virtual void open() = 0;
    /// Sends a message; `request_id` is set for a request, whose answer may take `timeout`.
    virtual void send(const boost::json::object& message, std::optional<std::int64_t> request_id,
                      std::chrono::milliseconds timeout) = 0;
    /// The session gave up on a request (cancelled, timed out): drop what carries its answer.
    virtual void abandon(std::int64_t request_id) = 0;
    /// The lifecycle is done: the negotiated protocol version, for the HTTP header.
    virtual void initialized(const std::string& protocol_version) = 0;
    /// Ends the connection; no handler comes after it.
    virtual void close() = 0;
};

} // namespace gleitzeit::provider_mcp_detail
