#pragma once
// provider-llm's config table (the [[providers]] config = {...}), read once in the
// constructor. Every refusal is gleitzeit::error(invalid_argument, "provider-llm: <key> ...")
// naming the key, so a reload that brings a bad table says what to fix.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace gleitzeit::provider_llm_detail {

inline constexpr const char* plugin_name = "provider-llm";
inline constexpr const char* protocol_id = "llm/v1";

/// Which HTTP API the instance speaks.
enum class backend { ollama, openai };

std::string_view to_string(backend b) noexcept;

struct llm_config {
    backend api = backend::ollama;
    std::string url;         // the server's base URL, no trailing '/' (and no "/v1" for openai)
    std::string api_key_env; // the environment variable the key came from; "" for none
    std::string api_key;     // its value, sent as "Authorization: Bearer <key>"
    std::string default_model;
    bool stream = true;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds first_byte_timeout{60000}; // a model may load before its first byte
    std::chrono::milliseconds call_timeout{300000};
    std::chrono::milliseconds health_interval{10000}; // 0: no health checks
    std::size_t max_concurrency = 4;
    std::size_t max_file_bytes = 10u << 20;
    std::size_t max_body = 16u << 20;
    std::string file_root; // "": file_path and image_path must be absolute, anywhere
};

/// Looks up an environment variable; nullptr when it is not set. Tests pass their own.
using env_lookup = std::function<const char*(const char* name)>;

/// The config, or gleitzeit::error(invalid_argument) naming the key that is wrong, unknown,
/// or (api_key) not allowed in a config file.
llm_config read_config(const boost::json::object& config, const env_lookup& env);

} // namespace gleitzeit::provider_llm_detail
