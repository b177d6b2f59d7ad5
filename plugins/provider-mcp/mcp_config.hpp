#pragma once
// provider-mcp's config table (the [providers.config] of gleitzeit.toml, as JSON), read and
// checked once in the constructor. Every refusal is gleitzeit::error(invalid_argument,
// "provider-mcp: <key>: ..."), naming the key as the operator wrote it, e.g.
// "provider-mcp: servers[1].url: must start with http:// or https://".

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gleitzeit::provider_mcp_detail {

inline constexpr const char* plugin_name = "provider-mcp";
inline constexpr const char* protocol_id = "mcp/v1";

enum class transport_kind { stdio, http };

struct server_config {
    std::string name; // [A-Za-z0-9_-]+, unique; names the server in methods and messages
    transport_kind transport = transport_kind::stdio;
    // stdio
    std::vector<std::string> command; // argv; argv[0] looked up in PATH without a '/'
    std::vector<std::pair<std::string, std::string>> env;
    std::string cwd;
    // http
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
};

struct mcp_config {
    std::vector<server_config> servers;
    std::size_t max_concurrency = 16;
    std::chrono::milliseconds call_timeout{300000};
    std::chrono::milliseconds restart_initial{500};
    std::chrono::milliseconds restart_max{30000};
};

inline constexpr std::int64_t max_max_concurrency = 100000;
inline constexpr std::int64_t max_duration_ms = 24LL * 3600 * 1000; // a day

/// Reads the config; throws gleitzeit::error(invalid_argument) naming the offending key.
mcp_config read_config(const boost::json::object& config);

} // namespace gleitzeit::provider_mcp_detail
