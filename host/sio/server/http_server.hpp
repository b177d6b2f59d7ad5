#pragma once
// The listening side: one TCP port that serves Engine.IO endpoints (long-polling and
// WebSocket) at their paths and hands every other request to a plain HTTP handler.
// Beast stays behind this header.

#include "sio/server/engine_options.hpp"
#include "sio/server/metrics.hpp"
#include "sio/server/request_guard.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace gleitzeit::sio {

namespace engine {
class endpoint;
class session_handler;
} // namespace engine

struct http_response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
};

/// Answers a plain HTTP request: method ("GET"), target ("/health?x=1").
using http_handler = std::function<http_response(std::string_view method, std::string_view target)>;

/// Told of each request the guard refused: why, and the request's Host and Origin.
using refusal_handler = std::function<void(const request_guard::refusal&, std::string_view host,
                                           std::string_view origin)>;

struct http_options {
    /// Who may send requests at all, on every path and transport. The default lets anyone
    /// in, as a library's server does; gleitzeitd narrows it (docs/security.md).
    request_guard guard{{"*"}, {"*"}};
    /// TCP connections beyond this are closed at once; 0 means no limit.
    std::size_t max_connections = 0;
    refusal_handler on_refused;
    /// A connection that does not complete a request's headers (or a body) in this long is
    /// closed: a client that stalls mid-request holds nothing for longer.
    std::chrono::milliseconds request_timeout{60000};
};

class http_server {
public:
    http_server(boost::asio::io_context& ioc, http_options opts = {});
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /// Serves Engine.IO at `path` (e.g. "/socket.io/") for the given handler.
    std::shared_ptr<engine::endpoint> mount(std::string path, engine::options opts,
                                            engine::session_handler& handler);
    /// Every request that no endpoint takes; without one the answer is 404.
    void set_fallback(http_handler handler);
    /// Replaces the guard (a reload); the next request is judged by the new one.
    void set_guard(request_guard guard);

    /// Binds and starts accepting; returns the bound port (useful with port 0).
    /// Throws std::system_error when the address cannot be bound.
    std::uint16_t listen(const std::string& address, std::uint16_t port);
    /// Stops accepting and closes every session.
    void stop();

    metrics& stats();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace gleitzeit::sio
