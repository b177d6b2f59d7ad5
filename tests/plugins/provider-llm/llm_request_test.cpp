// llm/v1's params: the spec compiles in registry-default and refuses bad params at submit
// with the messages a submitter sees; read_request reads each method's params and refuses
// what the schema cannot express (text or input, at least one image, base64).

#include "llm_request.hpp"
#include "param_schema.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace json = boost::json;
using namespace gleitzeit::provider_llm_detail;
namespace reg = gleitzeit::registry_default_detail;

namespace {

json::object obj(const char* text) {
    return json::parse(text).as_object();
}

/// The registry's verdict on params of `method`: "" when they pass, else its message.
std::string registry_check(const char* method, const char* params) {
    const gleitzeit::protocol_spec spec = llm_spec();
    for (const gleitzeit::method_spec& m : spec.methods) {
        if (m.name != method)
            continue;
        const reg::object_schema schema = reg::compile_method_params(m.params, "llm/v1");
        try {
            reg::check_method_params(schema, obj(params), {"llm/v1", method});
        } catch (const gleitzeit::error& e) {
            return e.what();
        }
        return "";
    }
    return "no method";
}

/// read_request's refusal ("code: message"), or "" when it reads the params.
std::string refusal(const char* method, const char* params, const std::string& model = "") {
    try {
        read_request(method, obj(params), model);
    } catch (const gleitzeit::error& e) {
        return std::string(gleitzeit::to_string(e.code())) + ": " + e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_llm_request)

BOOST_AUTO_TEST_CASE(the_spec_has_four_methods_and_the_registry_checks_their_params) {
    const gleitzeit::protocol_spec spec = llm_spec();
    BOOST_TEST(spec.id == "llm/v1");
    std::string names;
    for (const auto& m : spec.methods)
        names += m.name + " ";
    BOOST_TEST(names == "chat generate vision embed ");

    BOOST_TEST(registry_check("chat", R"({"messages": [{"role": "user", "content": "hi"}]})") == "");
    BOOST_TEST(registry_check("generate", R"({"prompt": "hi", "model": "m", "max_tokens": 5,
        "temperature": 0.5, "format": "json", "file_path": "/x"})") == "");
    BOOST_TEST(registry_check("vision", R"({"prompt": "p", "image_path": "/i.png"})") == "");
    BOOST_TEST(registry_check("embed", R"({"input": ["a", "b"]})") == "");

    BOOST_TEST(registry_check("chat", "{}") == "llm/v1 chat: params.messages: required parameter is missing");
    BOOST_TEST(registry_check("chat", R"({"messages": "hi"})") ==
               "llm/v1 chat: params.messages: expected an array, got string");
    BOOST_TEST(registry_check("chat", R"({"messages": [{"role": "robot", "content": "x"}]})") ==
               "llm/v1 chat: params.messages[0].role: 'robot' is not one of [\"system\", "
               "\"user\", \"assistant\", \"tool\"]");
    BOOST_TEST(registry_check("generate", R"({"prompt": 5})") ==
               "llm/v1 generate: params.prompt: expected a string, got number");
    BOOST_TEST(registry_check("generate", R"({"prompt": "p", "temperature": 3})") ==
               "llm/v1 generate: params.temperature: 3 is above the maximum 2");
    BOOST_TEST(registry_check("generate", R"({"prompt": "p", "temprature": 1})") ==
               "llm/v1 generate: params.temprature: unknown parameter (the method allows only: "
               "model, temperature, top_p, max_tokens, seed, stop, format, json_schema, "
               "file_path, prompt, system)");
    BOOST_TEST(registry_check("generate", R"({"prompt": "p", "format": "yaml"})") ==
               "llm/v1 generate: params.format: 'yaml' is not one of [\"json\"]");
    BOOST_TEST(registry_check("embed", R"({"input": [1]})") ==
               "llm/v1 embed: params.input[0]: expected a string, got number");
}

BOOST_AUTO_TEST_CASE(chat_reads_messages_options_and_the_default_model) {
    const llm_request r = read_request("chat", obj(R"({"messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi", "images": ["aGk="]}],
        "temperature": 0.5, "top_p": 1, "max_tokens": 3.0, "seed": 7, "stop": ["\n"],
        "format": "json", "file_path": "/tmp/a.txt"})"),
                                       "llama3.2");
    BOOST_TEST(to_string(r.method) == "chat");
    BOOST_TEST(r.model == "llama3.2");
    BOOST_TEST_REQUIRE(r.messages.size() == 2u);
    BOOST_TEST(r.messages[0].role == "system");
    BOOST_TEST(r.messages[1].content == "hi");
    BOOST_TEST(r.messages[1].images.at(0) == "aGk=");
    BOOST_TEST(*r.options.temperature == 0.5);
    BOOST_TEST(*r.options.top_p == 1.0);
    BOOST_TEST(*r.options.max_tokens == 3);
    BOOST_TEST(*r.options.seed == 7);
    BOOST_TEST(r.options.stop.at(0) == "\n");
    BOOST_TEST(r.options.json);
    BOOST_TEST(r.file_path == "/tmp/a.txt");
    // The call's model wins over the default.
    BOOST_TEST(read_request("generate", obj(R"({"prompt": "p", "model": "m2"})"), "d").model == "m2");
}

BOOST_AUTO_TEST_CASE(vision_takes_images_image_data_and_image_path) {
    const llm_request r = read_request(
        "vision",
        obj(R"({"prompt": "what", "images": ["QUJD"], "image_data": "data:image/png;base64,aGk=",
                "image_path": "/i.png", "system": "s"})"),
        "llava");
    BOOST_TEST(r.prompt == "what");
    BOOST_TEST(r.system == "s");
    BOOST_TEST_REQUIRE(r.images.size() == 2u);
    BOOST_TEST(r.images[0] == "QUJD");
    BOOST_TEST(r.images[1] == "aGk="); // the data: prefix dropped
    BOOST_TEST(r.image_path == "/i.png");
}

BOOST_AUTO_TEST_CASE(embed_takes_text_or_input) {
    BOOST_TEST(read_request("embed", obj(R"({"text": "a"})"), "e").inputs.size() == 1u);
    BOOST_TEST(read_request("embed", obj(R"({"input": ["a", "b"]})"), "e").inputs.size() == 2u);
}

BOOST_AUTO_TEST_CASE(what_the_schema_cannot_say_is_refused_by_read_request) {
    const std::tuple<const char*, const char*, const char*> cases[] = {
        {"chat", R"({"messages": []})",
         "invalid_argument: chat: params.model is missing and the config sets no default_model"},
        {"generate", R"({"model": "m"})", "invalid_argument: generate: params.prompt is missing"},
        {"generate", R"({"model": "m", "prompt": "p", "temprature": 1})",
         "invalid_argument: generate: unknown param 'temprature'"},
        {"generate", R"({"model": "m", "prompt": "p", "max_tokens": 0})",
         "invalid_argument: generate: params.max_tokens must be at least 1, got 0"},
        {"generate", R"({"model": "m", "prompt": "p", "temperature": "hot"})",
         "invalid_argument: generate: params.temperature must be a number, got a string"},
        {"chat", R"({"model": "m", "messages": [{"role": "user"}]})",
         "invalid_argument: chat: params.messages[0].content is missing"},
        {"chat", R"({"model": "m", "messages": [{"role": "user", "content": "x", "name": "n"}]})",
         "invalid_argument: chat: params.messages[0] has an unknown key 'name'"},
        {"vision", R"({"model": "m", "prompt": "p"})",
         "invalid_argument: vision: params.images is missing: vision needs images, image_data "
         "or image_path"},
        {"vision", R"({"model": "m", "prompt": "p", "image_data": "not base64!"})",
         "invalid_argument: vision: params.image_data is not base64"},
        {"vision", R"({"model": "m", "prompt": "p", "images": ["QUJD", "x"]})",
         "invalid_argument: vision: params.images[1] is not base64"},
        {"embed", R"({"model": "m"})",
         "invalid_argument: embed: params.text is missing: embed needs text or input"},
        {"embed", R"({"model": "m", "input": []})", "invalid_argument: embed: params.input is empty"},
        {"embed", R"({"model": "m", "text": "a", "input": ["b"]})",
         "invalid_argument: embed: params.text and params.input are both given: embed takes "
         "one of them"},
        {"embed", R"({"model": "m", "text": "a", "temperature": 1})",
         "invalid_argument: embed: unknown param 'temperature'"},
        {"translate", R"({})", "not_found: llm/v1 has no method 'translate'"},
    };
    for (const auto& [method, params, message] : cases)
        BOOST_TEST(refusal(method, params) == message, params);
}

BOOST_AUTO_TEST_CASE(file_text_goes_after_the_prompt_or_the_last_user_message) {
    llm_request g = read_request("generate", obj(R"({"prompt": "Sum up:"})"), "m");
    add_file_text(g, "notes.txt", "line 1\nline 2\n");
    BOOST_TEST(g.prompt == "Sum up:\n\n--- notes.txt ---\nline 1\nline 2\n");

    llm_request c = read_request("chat", obj(R"({"messages": [{"role": "user", "content": "A"},
        {"role": "assistant", "content": "B"}]})"),
                                 "m");
    add_file_text(c, "f.md", "text");
    BOOST_TEST(c.messages[0].content == "A\n\n--- f.md ---\ntext");
    BOOST_TEST(c.messages[1].content == "B");

    llm_request s = read_request("chat", obj(R"({"messages": [{"role": "system", "content": "S"}]})"), "m");
    add_file_text(s, "f.md", "text");
    BOOST_TEST_REQUIRE(s.messages.size() == 2u);
    BOOST_TEST(s.messages[1].role == "user");
    BOOST_TEST(s.messages[1].content == "--- f.md ---\ntext");
}

BOOST_AUTO_TEST_SUITE_END()
