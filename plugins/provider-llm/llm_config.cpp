#include "llm_config.hpp"

#include "http_url.hpp"

#include "gleitzeit/error.hpp"
#include "json_reading.hpp"

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <system_error>

namespace gleitzeit::provider_llm_detail {

namespace json = boost::json;

namespace {

[[noreturn]] void refuse(std::string_view key, const std::string& why) {
    throw error(error_code::invalid_argument,
                std::string(plugin_name) + ": " + std::string(key) + " " + why);
}


std::string read_string(const json::value& v, std::string_view key) {
    if (!v.is_string())
        refuse(key, "must be a string, got " + json_reading::kind_of(v));
    return std::string(v.get_string());
}

std::int64_t read_integer(const json::value& v, std::string_view key, std::int64_t lo,
                          std::int64_t hi) {
    if (auto n = json_reading::integer_in(v, lo, hi))
        return *n;
    refuse(key, json_reading::integer_refusal(v, lo, hi));
}

std::chrono::milliseconds read_ms(const json::value& v, std::string_view key, std::int64_t lo) {
    return std::chrono::milliseconds(read_integer(v, key, lo, 86400000)); // up to a day
}

backend read_backend(const json::value& v) {
    const std::string name = read_string(v, "backend");
    if (name == "ollama")
        return backend::ollama;
    if (name == "openai")
        return backend::openai;
    refuse("backend", "must be \"ollama\" or \"openai\", got \"" + name + "\"");
}

/// The base URL without trailing slashes; for openai also without a trailing "/v1", which
/// users copy from their server's docs (the paths this plugin calls start with /v1).
std::string read_url(const json::value& v, backend api) {
    std::string url = read_string(v, "url");
    std::string why;
    const auto parsed = provider_io::parse_http_url(url, why);
    if (!parsed)
        refuse("url", "\"" + url + "\" cannot be called: " + why);
    if (url.find_first_of("?#") != std::string::npos)
        refuse("url", "must not have a query or fragment: \"" + url + "\"");
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    if (api == backend::openai && url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0)
        url.resize(url.size() - 3);
    return url;
}

std::string read_file_root(const json::value& v) {
    const std::string root = read_string(v, "file_root");
    std::error_code ec;
    const auto canonical = std::filesystem::canonical(root, ec);
    if (root.empty() || root.front() != '/')
        refuse("file_root", "must be an absolute path, got \"" + root + "\"");
    if (ec || !std::filesystem::is_directory(canonical, ec))
        refuse("file_root", "must name an existing directory, got \"" + root + "\"");
    return canonical.string();
}

std::string read_api_key(const json::value& v, llm_config& c, const env_lookup& env) {
    c.api_key_env = read_string(v, "api_key_env");
    if (c.api_key_env.empty())
        refuse("api_key_env", "must name an environment variable, got \"\"");
    const char* value = env(c.api_key_env.c_str());
    if (value == nullptr || *value == '\0')
        refuse("api_key_env", "names " + c.api_key_env + ", which is not set or empty");
    return value;
}

/// One key of the table into `c`; false for a key this plugin does not know.
bool read_key(std::string_view key, const json::value& v, llm_config& c, const env_lookup& env) {
    if (key == "api_key_env")
        c.api_key = read_api_key(v, c, env);
    else if (key == "default_model")
        c.default_model = read_string(v, key);
    else if (key == "stream") {
        if (!v.is_bool())
            refuse(key, "must be a boolean, got " + json_reading::kind_of(v));
        c.stream = v.get_bool();
    } else if (key == "connect_timeout")
        c.connect_timeout = read_ms(v, key, 1);
    else if (key == "first_byte_timeout")
        c.first_byte_timeout = read_ms(v, key, 1);
    else if (key == "call_timeout")
        c.call_timeout = read_ms(v, key, 1);
    else if (key == "health_interval")
        c.health_interval = read_ms(v, key, 0);
    else if (key == "max_concurrency")
        c.max_concurrency = static_cast<std::size_t>(read_integer(v, key, 1, 1024));
    else if (key == "max_file_bytes")
        c.max_file_bytes = static_cast<std::size_t>(read_integer(v, key, 1, 1ll << 30));
    else if (key == "max_body")
        c.max_body = static_cast<std::size_t>(read_integer(v, key, 1024, 1ll << 30));
    else if (key == "file_root")
        c.file_root = read_file_root(v);
    else
        return false;
    return true;
}

} // namespace

std::string_view to_string(backend b) noexcept {
    return b == backend::ollama ? "ollama" : "openai";
}

llm_config read_config(const json::object& config, const env_lookup& env) {
    llm_config c;
    // backend first: the url's default and its "/v1" rule depend on it.
    if (const json::value* b = config.if_contains("backend"))
        c.api = read_backend(*b);
    if (const json::value* u = config.if_contains("url"))
        c.url = read_url(*u, c.api);
    else if (c.api == backend::ollama)
        c.url = "http://127.0.0.1:11434";
    else
        refuse("url", "is required with backend \"openai\" (the server's base URL, e.g. "
                      "\"http://127.0.0.1:8080\")");
    for (const auto& kv : config) {
        const std::string_view key = kv.key();
        if (key == "backend" || key == "url")
            continue;
        if (key == "api_key")
            refuse(key, "is not read from the config file: put the key in an environment "
                        "variable and name that variable in api_key_env");
        if (!read_key(key, kv.value(), c, env))
            throw error(error_code::invalid_argument,
                        std::string(plugin_name) + ": unknown config key '" + std::string(key) +
                            "' (known: backend, url, api_key_env, default_model, stream, "
                            "connect_timeout, first_byte_timeout, call_timeout, "
                            "health_interval, max_concurrency, max_file_bytes, max_body, "
                            "file_root)");
    }
    if (c.health_interval.count() > 0 && c.health_interval.count() < 100)
        refuse("health_interval", "must be 0 (off) or at least 100 ms, got " +
                                      std::to_string(c.health_interval.count()));
    return c;
}

} // namespace gleitzeit::provider_llm_detail
