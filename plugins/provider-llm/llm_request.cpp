#include "llm_request.hpp"

#include "llm_config.hpp"
#include "param_reader.hpp"

#include "gleitzeit/error.hpp"

#include <utility>

namespace gleitzeit::provider_llm_detail {

namespace json = boost::json;

namespace {

json::object schema(std::string_view type, std::string_view description, bool required = false) {
    json::object s{{"type", type}, {"description", description}};
    if (required)
        s["required"] = true;
    return s;
}

json::object string_array(std::string_view description) {
    json::object s = schema("array", description);
    s["items"] = json::object{{"type", "string"}};
    return s;
}

json::object message_schema() {
    json::object role = schema("string", "who speaks", true);
    role["enum"] = json::array{"system", "user", "assistant", "tool"};
    json::object item{{"type", "object"}, {"additional", false}};
    item["properties"] = json::object{
        {"role", std::move(role)},
        {"content", schema("string", "the text of the message", true)},
        {"images", string_array("base64-encoded images (vision models)")}};
    json::object s = schema("array", "the conversation, oldest first", true);
    s["items"] = std::move(item);
    return s;
}

/// The params every text method shares: model, sampling options, JSON mode, file_path.
json::object common_params() {
    json::object model = schema("string", "the model; config default_model when absent");
    model["min_length"] = 1;
    json::object temperature = schema("number", "sampling temperature");
    temperature["minimum"] = 0;
    temperature["maximum"] = 2;
    json::object top_p = schema("number", "nucleus sampling");
    top_p["minimum"] = 0;
    top_p["maximum"] = 1;
    json::object max_tokens = schema("integer", "the most tokens to generate");
    max_tokens["minimum"] = 1;
    json::object format = schema("string", "\"json\": the answer is a JSON object");
    format["enum"] = json::array{"json"};
    json::object file_path =
        schema("string", "a text file whose content is added to the prompt");
    file_path["min_length"] = 1;
    return {{"model", std::move(model)},
            {"temperature", std::move(temperature)},
            {"top_p", std::move(top_p)},
            {"max_tokens", std::move(max_tokens)},
            {"seed", schema("integer", "sampling seed, for repeatable answers")},
            {"stop", string_array("sequences that end the answer")},
            {"format", std::move(format)},
            {"json_schema", schema("object", "a JSON schema the answer must follow")},
            {"file_path", std::move(file_path)},
            {"additional", false}};
}

method_spec chat_spec() {
    json::object p = common_params();
    p["messages"] = message_schema();
    return {"chat", "Answers a conversation: {response, content, model, usage, done_reason}.",
            std::move(p)};
}

method_spec generate_spec() {
    json::object p = common_params();
    p["prompt"] = schema("string", "the prompt", true);
    p["system"] = schema("string", "the system prompt");
    return {"generate", "Completes a prompt: {response, content, model, usage, done_reason}.",
            std::move(p)};
}

method_spec vision_spec() {
    json::object p = common_params();
    p["prompt"] = schema("string", "what to ask about the images", true);
    p["system"] = schema("string", "the system prompt");
    p["images"] = string_array("base64-encoded images");
    json::object path = schema("string", "an image file, sent base64-encoded");
    path["min_length"] = 1;
    p["image_path"] = std::move(path);
    json::object data = schema("string", "one base64-encoded image (a data: URL is accepted)");
    data["min_length"] = 1;
    p["image_data"] = std::move(data);
    return {"vision",
            "Answers a prompt about images (images, image_path or image_data; at least one): "
            "{response, content, model, usage, done_reason}.",
            std::move(p)};
}

method_spec embed_spec() {
    json::object model = schema("string", "the model; config default_model when absent");
    model["min_length"] = 1;
    return {"embed",
            "Embeds text (text, or several in input; one of them): {embedding, embeddings, "
            "model, usage}.",
            {{"model", std::move(model)},
             {"text", schema("string", "the text to embed")},
             {"input", string_array("several texts to embed, one embedding each")},
             {"additional", false}}};
}

llm_method method_of(std::string_view name) {
    if (name == "chat")
        return llm_method::chat;
    if (name == "generate")
        return llm_method::generate;
    if (name == "vision")
        return llm_method::vision;
    if (name == "embed")
        return llm_method::embed;
    throw error(error_code::not_found,
                std::string(protocol_id) + " has no method '" + std::string(name) + "'");
}

void read_options(param_reader& in, llm_options& o) {
    o.temperature = in.number("temperature", 0, 2);
    o.top_p = in.number("top_p", 0, 1);
    o.max_tokens = in.integer("max_tokens", 1);
    o.seed = in.integer("seed");
    o.stop = in.strings("stop");
    if (auto format = in.string("format")) {
        if (*format != "json")
            in.refuse("format", "must be \"json\", got \"" + *format + "\"");
        o.json = true;
    }
    o.json_schema = in.object("json_schema");
}

void read_messages(param_reader& in, llm_request& r) {
    const json::array& list = in.required_array("messages");
    for (std::size_t i = 0; i < list.size(); ++i)
        r.messages.push_back(in.message(list[i], i));
}

/// The images of a vision call: images, image_data (its data: prefix dropped), image_path.
void read_images(param_reader& in, llm_request& r) {
    r.images = in.strings("images");
    for (std::size_t i = 0; i < r.images.size(); ++i)
        if (!looks_like_base64(r.images[i]))
            in.refuse("images[" + std::to_string(i) + "]", "is not base64");
    if (auto data = in.string("image_data")) {
        const std::size_t comma = data->find(',');
        if (data->rfind("data:", 0) == 0 && comma != std::string::npos)
            data->erase(0, comma + 1);
        if (!looks_like_base64(*data))
            in.refuse("image_data", "is not base64");
        r.images.push_back(std::move(*data));
    }
    r.image_path = in.string("image_path").value_or("");
    if (r.images.empty() && r.image_path.empty())
        in.refuse("images", "is missing: vision needs images, image_data or image_path");
}

void read_inputs(param_reader& in, llm_request& r) {
    auto text = in.string("text");
    std::vector<std::string> input = in.strings("input");
    if (text && in.has("input"))
        in.refuse("text", "and params.input are both given: embed takes one of them");
    if (text)
        r.inputs.push_back(std::move(*text));
    else
        r.inputs = std::move(input);
    if (r.inputs.empty())
        in.refuse(in.has("input") ? "input" : "text",
                  in.has("input") ? "is empty" : "is missing: embed needs text or input");
}

} // namespace

std::string_view to_string(llm_method m) noexcept {
    switch (m) {
    case llm_method::chat:
        return "chat";
    case llm_method::generate:
        return "generate";
    case llm_method::vision:
        return "vision";
    case llm_method::embed:
        return "embed";
    }
    return "?";
}

protocol_spec llm_spec() {
    return {protocol_id,
            "Large language models over the Ollama API or an OpenAI-compatible API: chat, "
            "generation, vision and embeddings, streamed as task_progress.",
            {chat_spec(), generate_spec(), vision_spec(), embed_spec()}};
}

llm_request read_request(std::string_view method, const json::object& params,
                         const std::string& default_model) {
    llm_request r;
    r.method = method_of(method);
    param_reader in(method, params);
    r.model = in.string("model").value_or(default_model);
    if (r.model.empty())
        in.refuse("model", "is missing and the config sets no default_model");
    if (r.method == llm_method::embed) {
        read_inputs(in, r);
        in.finish();
        return r;
    }
    read_options(in, r.options);
    r.file_path = in.string("file_path").value_or("");
    if (r.method == llm_method::chat) {
        read_messages(in, r);
    } else {
        r.prompt = in.required_string("prompt");
        r.system = in.string("system").value_or("");
        if (r.method == llm_method::vision)
            read_images(in, r);
    }
    in.finish();
    return r;
}

void add_file_text(llm_request& r, const std::string& file_name, const std::string& text) {
    // The name tells the model where the text starts and what it is.
    const std::string block = "\n\n--- " + file_name + " ---\n" + text;
    if (r.method != llm_method::chat) {
        r.prompt += block;
        return;
    }
    for (auto it = r.messages.rbegin(); it != r.messages.rend(); ++it) {
        if (it->role == "user") {
            it->content += block;
            return;
        }
    }
    r.messages.push_back({"user", block.substr(2), {}});
}

} // namespace gleitzeit::provider_llm_detail
