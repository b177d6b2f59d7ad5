#include "mcp_config.hpp"

#include "gleitzeit/error.hpp"
#include "json_reading.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;

namespace {

[[noreturn]] void refuse(const std::string& at, const std::string& why) {
    throw error(error_code::invalid_argument, std::string(plugin_name) + ": " + at + ": " + why);
}

/// An object is "a table" here: the config is written in TOML.
std::string kind_of(const json::value& v) {
    return v.is_object() ? "a table" : json_reading::kind_of(v);
}

std::int64_t integer(const json::value& v, std::int64_t lo, std::int64_t hi,
                     const std::string& at) {
    if (auto n = json_reading::integer_in(v, lo, hi))
        return *n;
    refuse(at, json_reading::integer_refusal(v, lo, hi));
}

std::string string(const json::value& v, const std::string& at) {
    if (!v.is_string())
        refuse(at, "must be a string, got " + kind_of(v));
    return std::string(v.get_string());
}

const json::object& table(const json::value& v, const std::string& at) {
    if (!v.is_object())
        refuse(at, "must be a table, got " + kind_of(v));
    return v.get_object();
}

/// A table of strings (env, headers), in the order written.
std::vector<std::pair<std::string, std::string>> string_table(const json::value& v,
                                                              const std::string& at) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& kv : table(v, at))
        out.emplace_back(std::string(kv.key()),
                         string(kv.value(), at + "." + std::string(kv.key())));
    return out;
}

bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// The headers the transport writes itself: a configured one would contradict the protocol.
constexpr std::array<std::string_view, 6> own_headers{
    "accept", "content-type", "content-length", "host", "mcp-session-id", "mcp-protocol-version"};

bool is_own_header(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return std::find(own_headers.begin(), own_headers.end(), lower) != own_headers.end();
}

transport_kind read_transport(const json::object& o, const std::string& at) {
    const json::value* t = o.if_contains("transport");
    if (!t)
        refuse(at, "'transport' is missing (\"stdio\" or \"http\")");
    const std::string name = string(*t, at + ".transport");
    if (name == "stdio")
        return transport_kind::stdio;
    if (name == "http")
        return transport_kind::http;
    refuse(at + ".transport", "must be \"stdio\" or \"http\", got \"" + name + "\"");
}

void read_stdio(const json::object& o, const std::string& at, server_config& s) {
    const json::value* command = o.if_contains("command");
    if (!command)
        refuse(at, "'command' is missing (the server's argv, e.g. [\"node\", \"server.js\"])");
    if (!command->is_array() || command->get_array().empty())
        refuse(at + ".command", "must be a non-empty array of strings");
    const json::array& argv = command->get_array();
    for (std::size_t i = 0; i < argv.size(); ++i)
        s.command.push_back(string(argv[i], at + ".command[" + std::to_string(i) + "]"));
    if (s.command[0].empty())
        refuse(at + ".command[0]", "must not be empty");
    if (const json::value* env = o.if_contains("env"))
        s.env = string_table(*env, at + ".env");
    if (const json::value* cwd = o.if_contains("cwd"))
        s.cwd = string(*cwd, at + ".cwd");
}

void read_http(const json::object& o, const std::string& at, server_config& s) {
    const json::value* url = o.if_contains("url");
    if (!url)
        refuse(at, "'url' is missing (e.g. \"http://127.0.0.1:3001/mcp\")");
    s.url = string(*url, at + ".url");
    if (!s.url.starts_with("http://") && !s.url.starts_with("https://"))
        refuse(at + ".url", "must start with http:// or https://, got \"" + s.url + "\"");
    if (const json::value* headers = o.if_contains("headers"))
        s.headers = string_table(*headers, at + ".headers");
    for (const auto& [name, value] : s.headers)
        if (is_own_header(name))
            refuse(at + ".headers." + name, "is set by provider-mcp itself");
}

server_config read_server(const json::value& v, const std::string& at) {
    const json::object& o = table(v, at);
    server_config s;
    const json::value* name = o.if_contains("name");
    if (!name)
        refuse(at, "'name' is missing");
    s.name = string(*name, at + ".name");
    if (s.name.empty() || !std::all_of(s.name.begin(), s.name.end(), name_char))
        refuse(at + ".name", "\"" + s.name + "\" must be letters, digits, '-' and '_' only");
    s.transport = read_transport(o, at);
    const bool stdio = s.transport == transport_kind::stdio;
    for (const auto& kv : o) {
        const std::string_view key = kv.key();
        const bool common = key == "name" || key == "transport";
        const bool stdio_key = key == "command" || key == "env" || key == "cwd";
        const bool http_key = key == "url" || key == "headers";
        if (!common && !stdio_key && !http_key)
            refuse(at, "unknown key '" + std::string(key) + "'");
        if ((stdio_key && !stdio) || (http_key && stdio))
            refuse(at + "." + std::string(key), std::string("applies only to transport \"") +
                                                    (stdio ? "http" : "stdio") + "\"");
    }
    if (stdio)
        read_stdio(o, at, s);
    else
        read_http(o, at, s);
    return s;
}

void read_servers(const json::value& v, mcp_config& out) {
    if (!v.is_array() || v.get_array().empty())
        refuse("servers", "must be a non-empty array of tables");
    const json::array& list = v.get_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string at = "servers[" + std::to_string(i) + "]";
        server_config s = read_server(list[i], at);
        for (std::size_t j = 0; j < out.servers.size(); ++j)
            if (out.servers[j].name == s.name)
                refuse(at + ".name", "\"" + s.name + "\" is already the name of servers[" +
                                         std::to_string(j) + "]");
        out.servers.push_back(std::move(s));
    }
}

void read_backoff(const json::value& v, mcp_config& out) {
    for (const auto& kv : table(v, "restart_backoff")) {
        const std::string at = "restart_backoff." + std::string(kv.key());
        if (kv.key() == "initial")
            out.restart_initial = std::chrono::milliseconds(integer(kv.value(), 1, max_duration_ms, at));
        else if (kv.key() == "max")
            out.restart_max = std::chrono::milliseconds(integer(kv.value(), 1, max_duration_ms, at));
        else
            refuse("restart_backoff", "unknown key '" + std::string(kv.key()) + "'");
    }
    if (out.restart_initial > out.restart_max)
        refuse("restart_backoff", "initial (" + std::to_string(out.restart_initial.count()) +
                                      ") is above max (" +
                                      std::to_string(out.restart_max.count()) + ")");
}

} // namespace

mcp_config read_config(const json::object& config) {
    mcp_config out;
    for (const auto& kv : config) {
        const std::string_view key = kv.key();
        if (key == "servers")
            read_servers(kv.value(), out);
        else if (key == "max_concurrency")
            out.max_concurrency = static_cast<std::size_t>(
                integer(kv.value(), 1, max_max_concurrency, "max_concurrency"));
        else if (key == "call_timeout")
            out.call_timeout =
                std::chrono::milliseconds(integer(kv.value(), 1, max_duration_ms, "call_timeout"));
        else if (key == "restart_backoff")
            read_backoff(kv.value(), out);
        else
            throw error(error_code::invalid_argument, std::string(plugin_name) +
                                                          ": unknown config key '" +
                                                          std::string(key) + "'");
    }
    if (out.servers.empty())
        throw error(error_code::invalid_argument,
                    std::string(plugin_name) + ": 'servers' is missing (at least one MCP server)");
    return out;
}

} // namespace gleitzeit::provider_mcp_detail
