#pragma once
// Plain HTTP beside Socket.IO: GET /health (JSON) and GET /metrics (Prometheus text).
// Anything else is 404.

#include "sio/server/http_server.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace gleitzeit::http {

struct status_info {
    std::string version;
    std::chrono::steady_clock::time_point started;
    const sio::metrics* stats = nullptr;
    /// More members of /health (the slots, the last reload), read at each request.
    std::function<boost::json::object()> health_extra;
    /// More lines of /metrics (plugin gauges), in Prometheus text format.
    std::function<std::string()> metrics_extra;
};

/// The handler to install as the http_server's fallback.
sio::http_handler status_handler(status_info info);

std::string health_json(const status_info& info);
std::string metrics_text(const status_info& info);

} // namespace gleitzeit::http
