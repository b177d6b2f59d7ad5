#pragma once
// provider-http's config table (the [[providers]] entry's `config`, as JSON), read once in the
// constructor. Every refusal is gleitzeit::error(invalid_argument, "provider-http: <key>: ...").

#include "allow_list.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace gleitzeit::provider_http_detail {

inline constexpr const char* plugin_name = "provider-http";
inline constexpr const char* protocol_id = "http/v1";

struct http_config {
    /// Shared with the io thread's address checks, which outlive no call; never changed.
    std::shared_ptr<const allow_list> allow = std::make_shared<allow_list>();
    std::size_t max_redirects = 5;          // 0..20; 0: a 3xx is returned as a failure
    std::size_t max_body = 10u << 20;       // bytes, 1..1 GiB
    std::size_t max_concurrency = 32;       // 1..10000
    std::chrono::milliseconds timeout{30000}; // a request's default, seconds in the config
    std::string user_agent = "gleitzeit-provider-http/1.0";
    std::string ca_file; // extra CA bundle (PEM) besides the system store; "" for none
};

/// Reads `config`; unknown keys and values of the wrong type or range are refused.
http_config read_config(const boost::json::object& config);

/// A timeout in seconds (integer or fraction) as milliseconds, from 1 ms to an hour;
/// otherwise refused with "<what> must be a number of seconds from 0.001 to 3600, got ...".
std::chrono::milliseconds read_seconds(const boost::json::value& v, const std::string& what);

} // namespace gleitzeit::provider_http_detail
