#include "http_config.hpp"

#include "gleitzeit/error.hpp"
#include "json_reading.hpp"

#include <boost/json/serialize.hpp>

#include <cmath>
#include <fstream>

namespace gleitzeit::provider_http_detail {

namespace json = boost::json;

namespace {

[[noreturn]] void refuse(const std::string& message) {
    throw error(error_code::invalid_argument, message);
}

std::string key_name(std::string_view key) {
    return std::string(plugin_name) + ": " + std::string(key);
}

std::size_t read_size(const json::value& v, std::int64_t lo, std::int64_t hi,
                      std::string_view key) {
    if (auto n = json_reading::integer_in(v, lo, hi))
        return static_cast<std::size_t>(*n);
    refuse(key_name(key) + " " + json_reading::integer_refusal(v, lo, hi));
}

std::string read_string(const json::value& v, std::string_view key) {
    if (!v.is_string() || v.get_string().empty())
        refuse(key_name(key) + " must be a non-empty string, got " +
               (v.is_string() ? std::string("\"\"") : json_reading::kind_of(v)));
    return std::string(v.get_string());
}

} // namespace


std::chrono::milliseconds read_seconds(const json::value& v, const std::string& what) {
    if (v.is_number()) {
        const double s = v.to_number<double>();
        if (s >= 0.001 && s <= 3600)
            return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(s * 1000)));
    }
    refuse(what + " must be a number of seconds from 0.001 to 3600, got " +
           (v.is_number() ? json::serialize(v) : json_reading::kind_of(v)));
}

http_config read_config(const json::object& config) {
    http_config c;
    for (const auto& kv : config) {
        const std::string_view key = kv.key();
        const json::value& v = kv.value();
        if (key == "allow") {
            if (!v.is_array())
                refuse(key_name(key) + " must be an array of strings, got " + json_reading::kind_of(v));
            c.allow = std::make_shared<const allow_list>(allow_list::parse(v.get_array()));
        } else if (key == "max_redirects") {
            c.max_redirects = read_size(v, 0, 20, key);
        } else if (key == "max_body") {
            c.max_body = read_size(v, 1, std::int64_t(1) << 30, key);
        } else if (key == "max_concurrency") {
            c.max_concurrency = read_size(v, 1, 10000, key);
        } else if (key == "timeout") {
            c.timeout = read_seconds(v, key_name(key));
        } else if (key == "user_agent") {
            c.user_agent = read_string(v, key);
            if (c.user_agent.find_first_of("\r\n") != std::string::npos)
                refuse(key_name(key) + " must not contain a line break");
        } else if (key == "ca_file") {
            c.ca_file = read_string(v, key);
            // Read now, so that a wrong path stops the provider at load, not at its first call.
            if (!std::ifstream(c.ca_file).good())
                refuse(key_name(key) + " cannot read '" + c.ca_file + "'");
        } else {
            refuse(std::string(plugin_name) + ": unknown config key '" + std::string(key) + "'");
        }
    }
    return c;
}

} // namespace gleitzeit::provider_http_detail
