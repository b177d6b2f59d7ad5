#include "http_result.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/json/parse.hpp>

#include <cctype>

namespace gleitzeit::provider_http_detail {

namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

constexpr std::size_t body_in_message = 200; // bytes of an error response's body in its message

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

/// application/json, or a structured syntax suffix such as application/problem+json.
bool is_json_type(const std::string* content_type) {
    if (!content_type)
        return false;
    std::string type = lower(content_type->substr(0, content_type->find(';')));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.pop_back();
    return type == "application/json" ||
           (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0 &&
            type.rfind("application/", 0) == 0);
}

std::string base64(std::string_view bytes) {
    namespace b64 = boost::beast::detail::base64;
    std::string out(b64::encoded_size(bytes.size()), '\0');
    out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
    return out;
}

/// The longest prefix of `text` of at most n bytes that does not cut a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t n) {
    if (text.size() <= n)
        return text;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
        --n;
    return text.substr(0, n);
}

} // namespace

bool is_utf8(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t len;
        std::uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > text.size())
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                              (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

std::string without_query(std::string_view url) {
    return std::string(url.substr(0, url.find_first_of("?#")));
}

json::object shape_result(const provider_io::http_response& r, const std::string& url) {
    json::object headers;
    for (const auto& [name, value] : r.headers) {
        const std::string key = lower(name);
        if (json::value* seen = headers.if_contains(key))
            seen->as_string() = std::string(seen->as_string()) + ", " + value;
        else
            headers[key] = value;
    }
    json::object out{{"status", r.status}, {"url", url}, {"headers", std::move(headers)}};
    if (is_json_type(r.header("content-type"))) {
        boost::system::error_code ec;
        json::value parsed = json::parse(r.body, ec);
        if (!ec) {
            out["json"] = std::move(parsed);
            return out;
        }
    }
    if (is_utf8(r.body))
        out["body"] = r.body;
    else
        out["body_base64"] = base64(r.body);
    return out;
}

bool status_retryable(unsigned status) noexcept {
    return status >= 500 || status == 408 || status == 429;
}

task_error status_error(const provider_io::http_response& r, std::string_view method,
                        const std::string& url) {
    std::string message = "HTTP " + std::to_string(r.status);
    const auto reason = http::obsolete_reason(http::int_to_status(r.status));
    if (!reason.empty() && reason != "<unknown-status>")
        message += " " + std::string(reason);
    message += " from " + std::string(method) + " " + without_query(url);
    if (!r.body.empty() && is_utf8(r.body)) {
        const std::string_view start = utf8_prefix(r.body, body_in_message);
        message += ": " + std::string(start) + (start.size() < r.body.size() ? "..." : "");
    }
    return {error_code::provider_error, std::move(message), status_retryable(r.status)};
}

task_error failure_error(const provider_io::http_error& e) {
    using provider_io::http_failure;
    switch (e.kind) {
    case http_failure::cancelled:
        return {error_code::cancelled, "cancelled", false};
    case http_failure::connect_timeout:
    case http_failure::first_byte_timeout:
    case http_failure::total_timeout:
        return {error_code::timeout, e.message, e.retryable};
    default:
        return {error_code::provider_error, e.message, e.retryable};
    }
}

} // namespace gleitzeit::provider_http_detail
