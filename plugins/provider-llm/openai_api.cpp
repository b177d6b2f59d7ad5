#include "openai_api.hpp"

#include "llm_files.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <system_error>
#include <utility>

namespace gleitzeit::provider_llm_detail::openai {

namespace json = boost::json;

namespace {

/// Text alone stays a string, which every server takes; with images it becomes content
/// parts, the text first.
json::value content_of(const std::string& text, const std::vector<std::string>& images) {
    if (images.empty())
        return json::value(text);
    json::array parts;
    parts.emplace_back(json::object{{"type", "text"}, {"text", text}});
    for (const std::string& image : images) {
        const std::string url = "data:" + image_media_type(image) + ";base64," + image;
        parts.emplace_back(
            json::object{{"type", "image_url"}, {"image_url", json::object{{"url", url}}}});
    }
    return parts;
}

json::array messages_of(const llm_request& r) {
    json::array out;
    if (r.method == llm_method::chat) {
        for (const chat_message& m : r.messages)
            out.emplace_back(
                json::object{{"role", m.role}, {"content", content_of(m.content, m.images)}});
        return out;
    }
    if (!r.system.empty())
        out.emplace_back(json::object{{"role", "system"}, {"content", r.system}});
    out.emplace_back(json::object{{"role", "user"}, {"content", content_of(r.prompt, r.images)}});
    return out;
}

void add_options(const llm_options& o, json::object& body) {
    if (o.temperature)
        body["temperature"] = *o.temperature;
    if (o.top_p)
        body["top_p"] = *o.top_p;
    if (o.seed)
        body["seed"] = *o.seed;
    if (o.max_tokens)
        body["max_tokens"] = *o.max_tokens;
    if (!o.stop.empty()) {
        json::array stop;
        for (const std::string& s : o.stop)
            stop.emplace_back(s);
        body["stop"] = std::move(stop);
    }
    if (o.json_schema)
        body["response_format"] = json::object{
            {"type", "json_schema"},
            {"json_schema", json::object{{"name", "response"}, {"schema", *o.json_schema}}}};
    else if (o.json)
        body["response_format"] = json::object{{"type", "json_object"}};
}

std::string error_text(const json::value& e) {
    if (e.is_string())
        return std::string(e.get_string());
    if (e.is_object())
        if (const json::value* m = e.get_object().if_contains("message"); m && m->is_string())
            return std::string(m->get_string());
    return json::serialize(e);
}

void read_model_and_usage(const json::object& o, completion& acc) {
    if (const json::value* model = o.if_contains("model"); model && model->is_string())
        acc.model = std::string(model->get_string());
    if (const json::value* usage = o.if_contains("usage"); usage && usage->is_object()) {
        acc.prompt_tokens = optional_count(usage->get_object(), "prompt_tokens");
        acc.completion_tokens = optional_count(usage->get_object(), "completion_tokens");
    }
}

/// choices[0] of an answer or chunk; nullptr when there is none (the usage chunk).
const json::object* first_choice(const json::object& o, const char* what) {
    const json::value* choices = o.if_contains("choices");
    if (!choices || !choices->is_array())
        throw answer_error(std::string(what) + " has no \"choices\" array", false);
    if (choices->get_array().empty())
        return nullptr;
    return &as_object(choices->get_array().front(), std::string(what) + "'s choices[0]");
}

std::string text_field(const json::object& holder, const char* what) {
    const json::value* content = holder.if_contains("content");
    if (!content || content->is_null())
        return "";
    if (!content->is_string())
        throw answer_error(std::string(what) + " has content that is not a string", false);
    return std::string(content->get_string());
}

void read_finish(const json::object& choice, completion& acc) {
    if (const json::value* f = choice.if_contains("finish_reason"); f && f->is_string())
        acc.done_reason = std::string(f->get_string());
}

} // namespace

wire_request build(const llm_request& r, bool stream) {
    json::object body{{"model", r.model}};
    if (r.method == llm_method::embed) {
        json::array input;
        for (const std::string& s : r.inputs)
            input.emplace_back(s);
        body["input"] = std::move(input);
        return {"/v1/embeddings", std::move(body)};
    }
    body["messages"] = messages_of(r);
    body["stream"] = stream;
    if (stream)
        body["stream_options"] = json::object{{"include_usage", true}};
    add_options(r.options, body);
    return {"/v1/chat/completions", std::move(body)};
}

completion read_completion(const json::value& answer) {
    const char* what = "the /v1/chat/completions answer";
    const json::object& o = as_object(answer, what);
    if (const json::value* e = o.if_contains("error"))
        throw answer_error("the server reported: " + error_text(*e), true);
    completion c;
    read_model_and_usage(o, c);
    const json::object* choice = first_choice(o, what);
    if (!choice)
        throw answer_error(std::string(what) + " has no choices", false);
    const json::value* message = choice->if_contains("message");
    if (!message || !message->is_object())
        throw answer_error(std::string(what) + " has no choices[0].message", false);
    c.text = text_field(message->get_object(), what);
    read_finish(*choice, c);
    c.done = true;
    return c;
}

std::string apply_event(std::string_view data, completion& acc) {
    if (data == "[DONE]") {
        acc.done = true;
        return "";
    }
    std::error_code ec;
    const json::value v = json::parse(data, ec);
    const char* what = "a /v1/chat/completions stream event";
    if (ec)
        throw answer_error(std::string(what) + " is not JSON: " +
                               std::string(data.substr(0, 200)),
                           false);
    const json::object& o = as_object(v, what);
    if (const json::value* e = o.if_contains("error"))
        throw answer_error("the server reported: " + error_text(*e), true);
    read_model_and_usage(o, acc);
    const json::object* choice = first_choice(o, what);
    if (!choice)
        return ""; // the usage chunk
    std::string delta;
    if (const json::value* d = choice->if_contains("delta"); d && d->is_object())
        delta = text_field(d->get_object(), what);
    read_finish(*choice, acc);
    acc.text += delta;
    return delta;
}

embeddings read_embeddings(const json::value& answer) {
    const char* what = "the /v1/embeddings answer";
    const json::object& o = as_object(answer, what);
    embeddings e;
    if (const json::value* model = o.if_contains("model"); model && model->is_string())
        e.model = std::string(model->get_string());
    const json::value* data = o.if_contains("data");
    if (!data || !data->is_array())
        throw answer_error(std::string(what) + " has no \"data\" array", false);
    std::vector<std::pair<std::int64_t, json::array>> items;
    for (const json::value& item : data->get_array()) {
        const json::object& i = as_object(item, std::string(what) + "'s data item");
        const json::value* vector = i.if_contains("embedding");
        if (!vector)
            throw answer_error(std::string(what) + " has a data item without an embedding",
                               false);
        const auto index = optional_count(i, "index").value_or(
            static_cast<std::int64_t>(items.size()));
        items.emplace_back(index, number_array(*vector, std::string(what) + "'s embedding"));
    }
    // The API numbers them; servers are not bound to answer in input order.
    std::stable_sort(items.begin(), items.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& item : items)
        e.vectors.emplace_back(std::move(item.second));
    if (const json::value* usage = o.if_contains("usage"); usage && usage->is_object())
        e.prompt_tokens = optional_count(usage->get_object(), "prompt_tokens");
    return e;
}

std::vector<std::string> read_models(const json::value& answer) {
    std::vector<std::string> ids;
    const json::object& o = as_object(answer, "the /v1/models answer");
    const json::value* data = o.if_contains("data");
    if (!data || !data->is_array())
        throw answer_error("the /v1/models answer has no \"data\" array", false);
    for (const json::value& m : data->get_array())
        if (m.is_object())
            if (const json::value* id = m.get_object().if_contains("id"); id && id->is_string())
                ids.emplace_back(id->get_string());
    return ids;
}

} // namespace gleitzeit::provider_llm_detail::openai
