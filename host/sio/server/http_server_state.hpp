#pragma once
// What every connection of one http_server shares: its mounts, its fallback, its counters.
// Internal to host/sio/server.

#include "sio/server/http_server.hpp"

#include <boost/asio/io_context.hpp>

#include <string_view>
#include <utility>
#include <vector>

namespace gleitzeit::sio {

struct http_server_state {
    http_server_state(boost::asio::io_context& io, http_options opts)
        : ioc(io), options(std::move(opts)) {}

    boost::asio::io_context& ioc;
    http_options options;
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

    /// The value for Access-Control-Allow-Origin, or empty when `origin` is not allowed.
    std::string_view allowed_origin(std::string_view origin) const {
        if (origin.empty())
            return {};
        for (const auto& o : options.cors_origins)
            if (o == "*" || o == origin)
                return origin;
        return {};
    }
};

} // namespace gleitzeit::sio
