#include "param_reader.hpp"

#include "gleitzeit/error.hpp"
#include "json_reading.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

namespace gleitzeit::provider_llm_detail {

namespace json = boost::json;

namespace {

/// A number as a message shows it: 2, 0.5.
std::string render(double d) {
    json::value v = d;
    if (d == std::floor(d) && std::abs(d) < 1e15)
        v = static_cast<std::int64_t>(d);
    return json::serialize(v);
}

} // namespace


bool looks_like_base64(std::string_view s) noexcept {
    if (s.empty() || s.size() % 4 != 0)
        return false;
    std::size_t pad = 0;
    while (pad < 2 && s[s.size() - 1 - pad] == '=')
        ++pad;
    return std::all_of(s.begin(), s.end() - static_cast<std::ptrdiff_t>(pad), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/';
    });
}

void param_reader::refuse(std::string_view name, const std::string& why) const {
    throw error(error_code::invalid_argument,
                method_ + ": params." + std::string(name) + " " + why);
}

const json::value* param_reader::take(std::string_view name) {
    taken_.emplace_back(name);
    return params_.if_contains(name);
}

std::optional<std::string> param_reader::string(std::string_view name) {
    const json::value* v = take(name);
    if (!v)
        return std::nullopt;
    if (!v->is_string())
        refuse(name, "must be a string, got " + json_reading::kind_of(*v));
    return std::string(v->get_string());
}

std::string param_reader::required_string(std::string_view name) {
    auto s = string(name);
    if (!s)
        refuse(name, "is missing");
    return std::move(*s);
}

std::optional<double> param_reader::number(std::string_view name, double lo, double hi) {
    const json::value* v = take(name);
    if (!v)
        return std::nullopt;
    if (!v->is_number())
        refuse(name, "must be a number, got " + json_reading::kind_of(*v));
    const double d = v->to_number<double>();
    if (d < lo || d > hi)
        refuse(name, "must be from " + render(lo) + " to " + render(hi) + ", got " + render(d));
    return d;
}

std::optional<std::int64_t> param_reader::integer(std::string_view name, std::int64_t lo) {
    const json::value* v = take(name);
    if (!v)
        return std::nullopt;
    std::int64_t n = 0;
    // 3.0 is an integer, as the registry's schema check (and JSON Schema) takes it.
    if (v->is_int64())
        n = v->get_int64();
    else if (v->is_double() && v->get_double() == std::floor(v->get_double()) &&
             std::abs(v->get_double()) < 9e15)
        n = static_cast<std::int64_t>(v->get_double());
    else
        refuse(name, "must be an integer, got " + json_reading::kind_of(*v));
    if (n < lo)
        refuse(name, "must be at least " + std::to_string(lo) + ", got " + std::to_string(n));
    return n;
}

std::vector<std::string> param_reader::strings(std::string_view name) {
    std::vector<std::string> out;
    const json::value* v = take(name);
    if (!v)
        return out;
    if (!v->is_array())
        refuse(name, "must be an array of strings, got " + json_reading::kind_of(*v));
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
        const json::value& e = v->get_array()[i];
        if (!e.is_string())
            refuse(std::string(name) + "[" + std::to_string(i) + "]",
                   "must be a string, got " + json_reading::kind_of(e));
        out.emplace_back(e.get_string());
    }
    return out;
}

std::optional<json::object> param_reader::object(std::string_view name) {
    const json::value* v = take(name);
    if (!v)
        return std::nullopt;
    if (!v->is_object())
        refuse(name, "must be an object, got " + json_reading::kind_of(*v));
    return v->get_object();
}

const json::array& param_reader::required_array(std::string_view name) {
    const json::value* v = take(name);
    if (!v)
        refuse(name, "is missing");
    if (!v->is_array())
        refuse(name, "must be an array, got " + json_reading::kind_of(*v));
    return v->get_array();
}

chat_message param_reader::message(const json::value& v, std::size_t index) const {
    const std::string at = "messages[" + std::to_string(index) + "]";
    if (!v.is_object())
        refuse(at, "must be an object, got " + json_reading::kind_of(v));
    const json::object& o = v.get_object();
    chat_message m;
    const json::value* role = o.if_contains("role");
    if (!role || !role->is_string())
        refuse(at + ".role", role ? "must be a string, got " + json_reading::kind_of(*role) : "is missing");
    m.role = std::string(role->get_string());
    if (m.role != "system" && m.role != "user" && m.role != "assistant" && m.role != "tool")
        refuse(at + ".role", "must be system, user, assistant or tool, got \"" + m.role + "\"");
    const json::value* content = o.if_contains("content");
    if (!content || !content->is_string())
        refuse(at + ".content",
               content ? "must be a string, got " + json_reading::kind_of(*content) : "is missing");
    m.content = std::string(content->get_string());
    for (const auto& kv : o) {
        if (kv.key() == "role" || kv.key() == "content")
            continue;
        if (kv.key() != "images")
            refuse(at, "has an unknown key '" + std::string(kv.key()) + "'");
        if (!kv.value().is_array())
            refuse(at + ".images", "must be an array of strings, got " + json_reading::kind_of(kv.value()));
        for (const json::value& image : kv.value().get_array()) {
            if (!image.is_string() || !looks_like_base64(image.get_string()))
                refuse(at + ".images", "must hold base64 strings");
            m.images.emplace_back(image.get_string());
        }
    }
    return m;
}

void param_reader::finish() const {
    for (const auto& kv : params_)
        if (std::find(taken_.begin(), taken_.end(), kv.key()) == taken_.end())
            throw error(error_code::invalid_argument,
                        method_ + ": unknown param '" + std::string(kv.key()) + "'");
}

} // namespace gleitzeit::provider_llm_detail
