#include "ollama_api.hpp"

#include <boost/json/serialize.hpp>

#include <utility>

namespace gleitzeit::provider_llm_detail::ollama {

namespace json = boost::json;

namespace {

json::array string_list(const std::vector<std::string>& items) {
    json::array out;
    for (const std::string& s : items)
        out.emplace_back(s);
    return out;
}

/// Sampling options go into "options" under Ollama's names; max_tokens is num_predict.
void add_options(const llm_options& o, json::object& body) {
    json::object options;
    if (o.temperature)
        options["temperature"] = *o.temperature;
    if (o.top_p)
        options["top_p"] = *o.top_p;
    if (o.seed)
        options["seed"] = *o.seed;
    if (o.max_tokens)
        options["num_predict"] = *o.max_tokens;
    if (!o.stop.empty())
        options["stop"] = string_list(o.stop);
    if (!options.empty())
        body["options"] = std::move(options);
    // A schema asks for more than JSON mode; it wins when both are given.
    if (o.json_schema)
        body["format"] = *o.json_schema;
    else if (o.json)
        body["format"] = "json";
}

json::array messages_of(const llm_request& r) {
    json::array out;
    for (const chat_message& m : r.messages) {
        json::object message{{"role", m.role}, {"content", m.content}};
        if (!m.images.empty())
            message["images"] = string_list(m.images);
        out.emplace_back(std::move(message));
    }
    return out;
}

} // namespace

wire_request build(const llm_request& r, bool stream) {
    json::object body{{"model", r.model}};
    switch (r.method) {
    case llm_method::embed:
        body["input"] = string_list(r.inputs);
        return {"/api/embed", std::move(body)};
    case llm_method::chat:
        body["messages"] = messages_of(r);
        body["stream"] = stream;
        add_options(r.options, body);
        return {"/api/chat", std::move(body)};
    case llm_method::generate:
    case llm_method::vision:
        body["prompt"] = r.prompt;
        if (!r.system.empty())
            body["system"] = r.system;
        if (!r.images.empty())
            body["images"] = string_list(r.images);
        body["stream"] = stream;
        add_options(r.options, body);
        return {"/api/generate", std::move(body)};
    }
    return {};
}

wire_request build_legacy_embedding(const std::string& model, const std::string& text) {
    return {"/api/embeddings", json::object{{"model", model}, {"prompt", text}}};
}

std::string apply_record(const json::value& record, llm_method m, completion& acc) {
    const json::object& o = as_object(record, "a record of Ollama's answer");
    if (const json::value* e = o.if_contains("error"))
        throw answer_error("Ollama reported: " + (e->is_string() ? std::string(e->get_string())
                                                                 : json::serialize(*e)),
                           true);
    if (const json::value* model = o.if_contains("model"); model && model->is_string())
        acc.model = std::string(model->get_string());
    std::string delta;
    const json::value* text = nullptr;
    if (m == llm_method::chat) {
        const json::value* message = o.if_contains("message");
        if (message && message->is_object())
            text = message->get_object().if_contains("content");
    } else {
        text = o.if_contains("response");
    }
    if (text && text->is_string())
        delta = std::string(text->get_string());
    else if (text && !text->is_null())
        throw answer_error("Ollama's answer has text that is not a string", false);
    acc.text += delta;
    const json::value* done = o.if_contains("done");
    if (!done || !done->is_bool())
        throw answer_error("Ollama's answer has no \"done\" field", false);
    if (done->get_bool()) {
        acc.done = true;
        if (const json::value* reason = o.if_contains("done_reason"); reason && reason->is_string())
            acc.done_reason = std::string(reason->get_string());
        else
            acc.done_reason = "stop"; // Ollama before 0.1.33 sent no reason
        acc.prompt_tokens = optional_count(o, "prompt_eval_count");
        acc.completion_tokens = optional_count(o, "eval_count");
    }
    return delta;
}

embeddings read_embeddings(const json::value& answer) {
    const json::object& o = as_object(answer, "Ollama's /api/embed answer");
    embeddings e;
    if (const json::value* model = o.if_contains("model"); model && model->is_string())
        e.model = std::string(model->get_string());
    const json::value* list = o.if_contains("embeddings");
    if (!list || !list->is_array())
        throw answer_error("Ollama's /api/embed answer has no \"embeddings\" array", false);
    for (const json::value& v : list->get_array())
        e.vectors.emplace_back(number_array(v, "an embedding of Ollama's /api/embed answer"));
    e.prompt_tokens = optional_count(o, "prompt_eval_count");
    return e;
}

json::array read_legacy_embedding(const json::value& answer) {
    const json::object& o = as_object(answer, "Ollama's /api/embeddings answer");
    const json::value* v = o.if_contains("embedding");
    if (!v)
        throw answer_error("Ollama's /api/embeddings answer has no \"embedding\"", false);
    return number_array(*v, "the embedding of Ollama's /api/embeddings answer");
}

std::vector<std::string> read_models(const json::value& answer) {
    std::vector<std::string> names;
    const json::object& o = as_object(answer, "Ollama's /api/tags answer");
    const json::value* models = o.if_contains("models");
    if (!models || !models->is_array())
        throw answer_error("Ollama's /api/tags answer has no \"models\" array", false);
    for (const json::value& m : models->get_array())
        if (m.is_object())
            if (const json::value* name = m.get_object().if_contains("name");
                name && name->is_string())
                names.emplace_back(name->get_string());
    return names;
}

} // namespace gleitzeit::provider_llm_detail::ollama
