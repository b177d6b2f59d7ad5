#include "llm_errors.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <system_error>

namespace gleitzeit::provider_llm_detail {

namespace json = boost::json;
using provider_io::http_failure;

namespace {

std::string ms(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

/// Whether a 404's text is about a model rather than a route.
bool names_a_model(std::string_view body) {
    std::error_code ec;
    const json::value v = json::parse(body, ec);
    if (ec || !v.is_object())
        return false;
    const json::value* e = v.get_object().if_contains("error");
    if (!e)
        return false;
    if (e->is_object()) {
        const json::value* code = e->get_object().if_contains("code");
        if (code && code->is_string() && code->get_string() == "model_not_found")
            return true;
    }
    const std::string text = error_text(body);
    return text.find("model") != std::string::npos;
}

} // namespace

std::string clip(std::string_view text, std::size_t n) {
    std::string out;
    std::size_t end = text.size();
    if (end > n) {
        end = n;
        // Back off to the start of a UTF-8 sequence.
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
            --end;
    }
    for (std::size_t i = 0; i < end; ++i)
        out += static_cast<unsigned char>(text[i]) < 0x20 ? ' ' : text[i];
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    if (end < text.size())
        out += "...";
    return out;
}

std::string error_text(std::string_view body) {
    std::error_code ec;
    const json::value v = json::parse(body, ec);
    if (!ec && v.is_object()) {
        if (const json::value* e = v.get_object().if_contains("error")) {
            if (e->is_string())
                return clip(e->get_string());
            if (e->is_object())
                if (const json::value* m = e->get_object().if_contains("message");
                    m && m->is_string())
                    return clip(m->get_string());
            return clip(json::serialize(*e));
        }
    }
    return clip(body);
}

bool is_connection_failure(http_failure f) noexcept {
    return f == http_failure::connect || f == http_failure::resolve ||
           f == http_failure::connect_timeout;
}

bool is_missing_route(unsigned status, std::string_view body) {
    return status == 404 && !names_a_model(body);
}

task_error from_http_failure(const provider_io::http_error& e, const std::string& endpoint,
                             const llm_config& config, std::chrono::milliseconds total) {
    const std::string at = endpoint + ": ";
    switch (e.kind) {
    case http_failure::connect:
    case http_failure::resolve:
        return {error_code::provider_error, at + "cannot connect: " + e.message, true};
    case http_failure::connect_timeout:
        return {error_code::timeout,
                at + "no connection within connect_timeout (" + ms(config.connect_timeout) + ")",
                true};
    case http_failure::first_byte_timeout:
        return {error_code::timeout,
                at + "no answer within first_byte_timeout (" + ms(config.first_byte_timeout) +
                    ")",
                true};
    case http_failure::total_timeout:
        return {error_code::timeout, at + "the call took longer than " + ms(total), true};
    case http_failure::body_too_large:
        return {error_code::provider_error,
                at + "the answer is over max_body (" + std::to_string(config.max_body) +
                    " bytes)",
                false};
    case http_failure::protocol:
        return {error_code::provider_error, at + "the connection broke mid-answer: " + e.message,
                true};
    case http_failure::cancelled:
        return {error_code::cancelled, "cancelled", false};
    case http_failure::tls:
    case http_failure::bad_url:
    case http_failure::refused_address:
        break;
    }
    return {error_code::provider_error, at + e.message, false};
}

task_error from_status(unsigned status, std::string_view body, const std::string& endpoint,
                       const std::string& model) {
    const std::string text = error_text(body);
    const std::string said = std::to_string(status) + (text.empty() ? "" : ": " + text);
    if (status == 404 && names_a_model(body))
        return {error_code::provider_error,
                endpoint + ": model '" + model + "' not found (" + said + ")", false};
    std::string message = endpoint + ": answered " + said;
    if (status == 401 || status == 403)
        message += " (check the key that api_key_env names)";
    // The server may do better in a moment: it failed, it is busy, or the request waited.
    const bool retryable = status >= 500 || status == 408 || status == 429;
    return {error_code::provider_error, message, retryable};
}

task_error not_json(std::string_view body, const std::string& endpoint) {
    return {error_code::provider_error,
            endpoint + ": the answer is not JSON: " + clip(body.empty() ? "(empty)" : body),
            false};
}

} // namespace gleitzeit::provider_llm_detail
