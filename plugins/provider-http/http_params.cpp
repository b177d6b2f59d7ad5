#include "http_params.hpp"

#include "gleitzeit/error.hpp"
#include "json_reading.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace gleitzeit::provider_http_detail {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 6> methods{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};

// Set by the client from the request itself; a caller's value would contradict it.
constexpr std::array<std::string_view, 5> reserved_headers{
    "host", "content-length", "transfer-encoding", "connection", "upgrade"};

[[noreturn]] void refuse(const std::string& message) {
    throw error(error_code::invalid_argument, "request: " + message);
}

json::object schema(std::string_view type, std::string_view description) {
    return {{"type", type}, {"description", description}};
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string query_value(const json::value& v, const std::string& where) {
    if (v.is_string())
        return std::string(v.get_string());
    if (v.is_bool())
        return v.get_bool() ? "true" : "false";
    if (v.is_int64())
        return std::to_string(v.get_int64());
    if (v.is_uint64())
        return std::to_string(v.get_uint64());
    if (v.is_double()) {
        // The shortest text that reads back as the same number: 1.5, not Boost.JSON's 1.5E0.
        char buf[32];
        const auto end = std::to_chars(buf, buf + sizeof buf, v.get_double()).ptr;
        return std::string(buf, end);
    }
    refuse(where + " must be a string, number or boolean, got " + json_reading::kind_of(v));
}

header_list read_headers(const json::value& v) {
    if (!v.is_object())
        refuse("params.headers must be an object, got " + json_reading::kind_of(v));
    header_list out;
    for (const auto& kv : v.get_object()) {
        const std::string name(kv.key());
        const std::string where = "params.headers." + name;
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
            refuse(where + ": not a valid header name");
        if (std::find(reserved_headers.begin(), reserved_headers.end(), lower(name)) !=
            reserved_headers.end())
            refuse(where + ": set by provider-http, not by the caller");
        if (!kv.value().is_string())
            refuse(where + " must be a string, got " + json_reading::kind_of(kv.value()));
        const std::string value(kv.value().get_string());
        if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos)
            refuse(where + " must not contain a line break or NUL");
        out.emplace_back(name, value);
    }
    return out;
}

bool has_header(const header_list& h, std::string_view name) {
    return std::any_of(h.begin(), h.end(), [&](const auto& kv) { return lower(kv.first) == name; });
}

} // namespace

protocol_spec http_spec() {
    json::array method_names;
    for (std::string_view m : methods)
        method_names.emplace_back(m);
    json::object method = schema("string", "GET, POST, PUT, PATCH, DELETE or HEAD; GET when absent");
    method["enum"] = std::move(method_names);
    json::object url = schema("string", "the http:// or https:// URL to call; its host must be on the allow list");
    url["required"] = true;
    url["pattern"] = "^[Hh][Tt][Tt][Pp][Ss]?://";
    url["max_length"] = 8192;
    json::object timeout = schema("number", "seconds for the whole request, redirects included; "
                                            "the config's timeout when absent");
    timeout["minimum"] = 0.001;
    timeout["maximum"] = 3600;
    return {
        protocol_id,
        "Calls HTTP APIs on the hosts of the provider's allow list.",
        {{"request",
          "Sends one HTTP request, follows redirects within the allow list, and returns "
          "{status, headers, url, json | body | body_base64}. A status outside 2xx fails the "
          "call; 5xx, 408 and 429 are retryable.",
          {{"method", std::move(method)},
           {"url", std::move(url)},
           {"headers", schema("object", "request headers, name -> string value")},
           {"query", schema("object", "appended to the URL, percent-encoded: name -> string, "
                                      "number, boolean or an array of them")},
           {"json", schema("any", "sent as the body, as application/json")},
           {"body", schema("string", "sent as the body, as it is; not together with json")},
           {"timeout", std::move(timeout)},
           {"additional", false}}}},
    };
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::string append_query(std::string url, const json::object& query) {
    std::string pairs;
    auto add = [&](std::string_view name, const std::string& value) {
        pairs += (pairs.empty() ? "" : "&") + percent_encode(name) + "=" + percent_encode(value);
    };
    for (const auto& kv : query) {
        const std::string where = "params.query." + std::string(kv.key());
        if (kv.value().is_array()) {
            for (const json::value& item : kv.value().get_array())
                add(kv.key(), query_value(item, where + "[]"));
        } else {
            add(kv.key(), query_value(kv.value(), where));
        }
    }
    if (pairs.empty())
        return url;
    // The fragment is never sent; the query goes before it.
    const std::size_t hash = url.find('#');
    if (hash != std::string::npos)
        url.erase(hash);
    const char sep = url.find('?') == std::string::npos ? '?' : (url.back() == '?' || url.back() == '&' ? '\0' : '&');
    if (sep)
        url.push_back(sep);
    return url + pairs;
}

request_params read_request(const json::object& params, const http_config& config) {
    request_params r;
    r.first.method = "GET";
    r.timeout = config.timeout;
    for (const auto& kv : params) {
        const std::string_view k = kv.key();
        if (k != "method" && k != "url" && k != "headers" && k != "query" && k != "json" &&
            k != "body" && k != "timeout")
            refuse("unknown param '" + std::string(k) + "'");
    }
    if (const json::value* m = params.if_contains("method")) {
        if (!m->is_string() || std::find(methods.begin(), methods.end(), m->get_string()) == methods.end())
            refuse("params.method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, got " +
                   (m->is_string() ? "'" + std::string(m->get_string()) + "'" : json_reading::kind_of(*m)));
        r.first.method = std::string(m->get_string());
    }
    const json::value* url = params.if_contains("url");
    if (!url)
        refuse("params.url is missing");
    if (!url->is_string())
        refuse("params.url must be a string, got " + json_reading::kind_of(*url));
    r.first.url = std::string(url->get_string());
    if (const json::value* q = params.if_contains("query")) {
        if (!q->is_object())
            refuse("params.query must be an object, got " + json_reading::kind_of(*q));
        r.first.url = append_query(std::move(r.first.url), q->get_object());
    }
    if (const json::value* h = params.if_contains("headers"))
        r.first.headers = read_headers(*h);
    const json::value* json_body = params.if_contains("json");
    const json::value* text_body = params.if_contains("body");
    if (json_body && text_body)
        refuse("params.json and params.body exclude each other");
    if (json_body) {
        r.first.body = json::serialize(*json_body);
        if (!has_header(r.first.headers, "content-type"))
            r.first.headers.emplace_back("Content-Type", "application/json");
    } else if (text_body) {
        if (!text_body->is_string())
            refuse("params.body must be a string, got " + json_reading::kind_of(*text_body));
        r.first.body = std::string(text_body->get_string());
    }
    if (const json::value* t = params.if_contains("timeout"))
        r.timeout = read_seconds(*t, "request: params.timeout");
    if (!has_header(r.first.headers, "user-agent"))
        r.first.headers.emplace_back("User-Agent", config.user_agent);
    return r;
}

} // namespace gleitzeit::provider_http_detail
