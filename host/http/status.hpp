#pragma once
// Plain HTTP beside Socket.IO: GET /health (JSON) and GET /metrics (Prometheus text).
// Anything else is 404.

#include "sio/http_server.hpp"

#include <chrono>
#include <string>

namespace gleitzeit::http {

struct status_info {
    std::string version;
    std::chrono::steady_clock::time_point started;
    const sio::metrics* stats = nullptr;
};

/// The handler to install as the http_server's fallback.
sio::http_handler status_handler(status_info info);

std::string health_json(const status_info& info);
std::string metrics_text(const status_info& info);

} // namespace gleitzeit::http
