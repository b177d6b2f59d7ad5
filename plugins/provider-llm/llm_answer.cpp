#include "llm_answer.hpp"

#include <boost/json/parse.hpp>

#include <system_error>

namespace gleitzeit::provider_llm_detail {

namespace json = boost::json;

namespace {

json::value count_or_null(const std::optional<std::int64_t>& n) {
    return n ? json::value(*n) : json::value(nullptr);
}

} // namespace

json::object completion_result(const completion& c, bool json_mode) {
    std::optional<std::int64_t> total;
    if (c.prompt_tokens && c.completion_tokens)
        total = *c.prompt_tokens + *c.completion_tokens;
    json::object out{
        {"response", c.text},
        {"content", c.text},
        {"model", c.model},
        {"usage", json::object{{"prompt_tokens", count_or_null(c.prompt_tokens)},
                               {"completion_tokens", count_or_null(c.completion_tokens)},
                               {"total_tokens", count_or_null(total)}}},
        {"done_reason", c.done_reason}};
    if (json_mode) {
        // A model asked for JSON may still wrap it in text; then only `response` has it.
        std::error_code ec;
        json::value parsed = json::parse(c.text, ec);
        if (!ec)
            out["json"] = std::move(parsed);
    }
    return out;
}

json::object embeddings_result(const embeddings& e) {
    json::value first = e.vectors.empty() ? json::value(json::array{}) : e.vectors.front();
    return {{"embedding", std::move(first)},
            {"embeddings", e.vectors},
            {"model", e.model},
            {"usage", json::object{{"prompt_tokens", count_or_null(e.prompt_tokens)},
                                   {"total_tokens", count_or_null(e.prompt_tokens)}}}};
}

const json::object& as_object(const json::value& v, const std::string& what) {
    if (!v.is_object())
        throw answer_error(what + " is not a JSON object", false);
    return v.get_object();
}

std::optional<std::int64_t> optional_count(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    if (v && v->is_int64())
        return v->get_int64();
    if (v && v->is_uint64())
        return static_cast<std::int64_t>(v->get_uint64());
    return std::nullopt;
}

json::array number_array(const json::value& v, const std::string& what) {
    if (!v.is_array())
        throw answer_error(what + " is not an array", false);
    for (const json::value& x : v.get_array())
        if (!x.is_number())
            throw answer_error(what + " holds something other than numbers", false);
    return v.get_array();
}

} // namespace gleitzeit::provider_llm_detail
