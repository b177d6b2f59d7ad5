#pragma once
// What every connection of one http_server shares: its mounts, its fallback, its counters.
// Internal to host/sio/server.

#include "sio/server/http_server.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace gleitzeit::sio {

struct http_server_state {
    http_server_state(boost::asio::io_context& io, http_options opts)
        : ioc(io), options(std::move(opts)),
          guard(std::make_shared<const request_guard>(options.guard)) {}

    boost::asio::io_context& ioc;
    http_options options;
    // Read by every connection's strand, replaced by a reload.
    std::atomic<std::shared_ptr<const request_guard>> guard;
    std::vector<std::pair<std::string, std::shared_ptr<engine::endpoint>>> mounts;
    http_handler fallback;
    sio::metrics stats;

    /// The endpoint whose path is a prefix of `path` ("/socket.io/" takes "/socket.io/?x"
    /// and "/socket.io"), or null.
    std::shared_ptr<engine::endpoint> endpoint_for(std::string_view path) const {
        for (const auto& [prefix, ep] : mounts) {
            std::string_view bare(prefix.data(), prefix.size() - (prefix.ends_with('/') ? 1 : 0));
            if (path == bare || path.starts_with(prefix))
                return ep;
        }
        return nullptr;
    }
};

} // namespace gleitzeit::sio
