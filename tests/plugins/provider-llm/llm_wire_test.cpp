// What provider-llm sends and how it reads the answers, without a server: the exact JSON
// body of each method on each backend, whole answers, and streams fed in pieces of every
// size (a record split anywhere must read the same).

#include "answer_reader.hpp"
#include "llm_exchange.hpp"
#include "llm_request.hpp"
#include "ollama_api.hpp"
#include "openai_api.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace json = boost::json;
using namespace gleitzeit::provider_llm_detail;

namespace {

llm_request request(const char* method, const char* params) {
    return read_request(method, json::parse(params).as_object(), "m");
}

/// The request as "<path> <body>", the body compared as JSON (key order aside).
void check_wire(backend api, const char* method, const char* params, bool stream,
                const char* path, const char* body) {
    const wire_request w = build_request(api, request(method, params), stream);
    BOOST_TEST(w.path == path);
    BOOST_TEST(json::value(w.body) == json::parse(body),
               json::serialize(w.body) << " != " << body);
}

struct streamed {
    completion c;
    std::vector<std::string> deltas;
    std::string error;
    bool retryable = false;
};

/// Feeds `body` to an answer_reader in pieces of `piece` bytes, then finishes.
streamed stream(backend api, llm_method m, const std::string& body, std::size_t piece) {
    answer_reader reader(api, m, 1 << 20);
    streamed out;
    const auto on_delta = [&](const std::string& t) { out.deltas.push_back(t); };
    for (std::size_t i = 0; i < body.size(); i += piece)
        reader.feed(std::string_view(body).substr(i, piece), on_delta);
    try {
        out.c = reader.finish(on_delta);
    } catch (const answer_error& e) {
        out.error = e.what();
        out.retryable = e.retryable();
    }
    return out;
}

std::string joined(const std::vector<std::string>& parts) {
    std::string s;
    for (const auto& p : parts)
        s += p + "|";
    return s;
}

const std::string ollama_chat_stream =
    R"({"model":"m1","message":{"role":"assistant","content":"echo:"},"done":false})" "\n"
    R"({"model":"m1","message":{"role":"assistant","content":" héllo"},"done":false})" "\n"
    R"({"model":"m1","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":4,"eval_count":2})" "\n";

const std::string openai_stream =
    "data: {\"id\":\"c1\",\"model\":\"g1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"id\":\"c1\",\"model\":\"g1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"echo:\"},\"finish_reason\":null}]}\r\n\r\n"
    "data: {\"id\":\"c1\",\"model\":\"g1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" hi\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"model\":\"g1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
    "data: {\"id\":\"c1\",\"model\":\"g1\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n"
    "data: [DONE]\n\n";

} // namespace

BOOST_AUTO_TEST_SUITE(provider_llm_wire)

BOOST_AUTO_TEST_CASE(ollama_request_bodies) {
    check_wire(backend::ollama, "chat",
               R"({"messages": [{"role": "user", "content": "hi", "images": ["QUJD"]}],
                   "temperature": 0.2, "max_tokens": 5, "top_p": 0.9, "seed": 1, "stop": ["x"],
                   "format": "json"})",
               true, "/api/chat",
               R"({"model": "m", "messages": [{"role": "user", "content": "hi", "images": ["QUJD"]}],
                   "stream": true, "options": {"temperature": 0.2, "top_p": 0.9, "seed": 1,
                   "num_predict": 5, "stop": ["x"]}, "format": "json"})");
    check_wire(backend::ollama, "generate", R"({"prompt": "p", "system": "s", "model": "x"})",
               false, "/api/generate",
               R"({"model": "x", "prompt": "p", "system": "s", "stream": false})");
    check_wire(backend::ollama, "vision", R"({"prompt": "p", "images": ["QUJD"],
                   "json_schema": {"type": "object"}})",
               true, "/api/generate",
               R"({"model": "m", "prompt": "p", "images": ["QUJD"], "stream": true,
                   "format": {"type": "object"}})");
    check_wire(backend::ollama, "embed", R"({"text": "a b"})", true, "/api/embed",
               R"({"model": "m", "input": ["a b"]})");
    const wire_request legacy = build_request(backend::ollama, request("embed", R"({"input": ["a", "b"]})"),
                                              false, exchange_stage::legacy_embed, 1);
    BOOST_TEST(legacy.path == "/api/embeddings");
    BOOST_TEST(json::value(legacy.body) == json::parse(R"({"model": "m", "prompt": "b"})"));
}

BOOST_AUTO_TEST_CASE(openai_request_bodies) {
    check_wire(backend::openai, "chat",
               R"({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}],
                   "max_tokens": 5, "format": "json"})",
               true, "/v1/chat/completions",
               R"({"model": "m", "messages": [{"role": "system", "content": "s"},
                   {"role": "user", "content": "hi"}], "stream": true,
                   "stream_options": {"include_usage": true}, "max_tokens": 5,
                   "response_format": {"type": "json_object"}})");
    check_wire(backend::openai, "generate", R"({"prompt": "p", "system": "s", "temperature": 1})",
               false, "/v1/chat/completions",
               R"({"model": "m", "messages": [{"role": "system", "content": "s"},
                   {"role": "user", "content": "p"}], "stream": false, "temperature": 1.0})");
    // A PNG's base64 starts with iVBORw0KGgo; the data: URL says image/png.
    check_wire(backend::openai, "vision", R"({"prompt": "what", "images": ["iVBORw0KGgo=", "/9j/AA=="],
                   "json_schema": {"type": "object"}})",
               false, "/v1/chat/completions",
               R"({"model": "m", "messages": [{"role": "user", "content": [
                   {"type": "text", "text": "what"},
                   {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                   {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/AA=="}}]}],
                   "stream": false, "response_format": {"type": "json_schema",
                   "json_schema": {"name": "response", "schema": {"type": "object"}}}})");
    check_wire(backend::openai, "embed", R"({"input": ["a", "b"]})", true, "/v1/embeddings",
               R"({"model": "m", "input": ["a", "b"]})");
}

BOOST_AUTO_TEST_CASE(whole_answers_become_the_result_object) {
    completion c;
    ollama::apply_record(json::parse(R"({"model": "m1", "response": "echo: hi", "done": true,
        "done_reason": "length", "prompt_eval_count": 2, "eval_count": 2})"),
                         llm_method::generate, c);
    BOOST_TEST(json::value(completion_result(c, false)) ==
               json::parse(R"({"response": "echo: hi", "content": "echo: hi", "model": "m1",
                   "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4},
                   "done_reason": "length"})"));

    const completion o = openai::read_completion(json::parse(R"({"model": "g1", "choices": [{"index": 0,
        "message": {"role": "assistant", "content": "{\"a\": 1}"}, "finish_reason": "stop"}]})"));
    // JSON mode adds the parsed answer; unknown token counts are null.
    BOOST_TEST(json::value(completion_result(o, true)) ==
               json::parse(R"({"response": "{\"a\": 1}", "content": "{\"a\": 1}", "model": "g1",
                   "usage": {"prompt_tokens": null, "completion_tokens": null, "total_tokens": null},
                   "done_reason": "stop", "json": {"a": 1}})"));

    const embeddings e = openai::read_embeddings(json::parse(R"({"model": "e1", "data": [
        {"index": 1, "embedding": [3, 0.5]}, {"index": 0, "embedding": [1, 2]}],
        "usage": {"prompt_tokens": 4, "total_tokens": 4}})"));
    // Put back into input order by index.
    BOOST_TEST(json::value(embeddings_result(e)) ==
               json::parse(R"({"embedding": [1, 2], "embeddings": [[1, 2], [3, 0.5]], "model": "e1",
                   "usage": {"prompt_tokens": 4, "total_tokens": 4}})"));
    const embeddings oe = ollama::read_embeddings(
        json::parse(R"({"model": "e2", "embeddings": [[1]], "prompt_eval_count": 1})"));
    BOOST_TEST(json::serialize(embeddings_result(oe)["embeddings"]) == "[[1]]");
    BOOST_TEST(json::serialize(ollama::read_legacy_embedding(json::parse(R"({"embedding": [0.25]})"))) == "[2.5E-1]");
}

BOOST_AUTO_TEST_CASE(streams_read_the_same_in_any_pieces) {
    for (std::size_t piece : {1u, 2u, 7u, 64u, 100000u}) {
        const streamed o = stream(backend::ollama, llm_method::chat, ollama_chat_stream, piece);
        BOOST_TEST(o.error == "");
        BOOST_TEST(joined(o.deltas) == "echo:| héllo|");
        BOOST_TEST(o.c.text == "echo: héllo");
        BOOST_TEST(o.c.model == "m1");
        BOOST_TEST(o.c.done_reason == "stop");
        BOOST_TEST(*o.c.prompt_tokens == 4);
        BOOST_TEST(*o.c.completion_tokens == 2);

        const streamed a = stream(backend::openai, llm_method::chat, openai_stream, piece);
        BOOST_TEST(a.error == "");
        BOOST_TEST(joined(a.deltas) == "echo:| hi|");
        BOOST_TEST(a.c.text == "echo: hi");
        BOOST_TEST(a.c.model == "g1");
        BOOST_TEST(a.c.done_reason == "length");
        BOOST_TEST(*a.c.prompt_tokens == 3);
        BOOST_TEST(*a.c.completion_tokens == 2);
    }
    // Ollama's last line may come without its newline; generate's text is in "response".
    const streamed g = stream(backend::ollama, llm_method::generate,
                              R"({"response":"a","done":false})" "\n" R"({"response":"b","done":true})", 5);
    BOOST_TEST(joined(g.deltas) == "a|b|");
    BOOST_TEST(g.c.done_reason == "stop");
}

BOOST_AUTO_TEST_CASE(broken_streams_say_what_broke) {
    const auto cut = ollama_chat_stream.substr(0, ollama_chat_stream.rfind("{\"model"));
    const streamed early = stream(backend::ollama, llm_method::chat, cut, 10);
    BOOST_TEST(early.error == "the stream ended before its last record");
    BOOST_TEST(early.retryable);
    BOOST_TEST(joined(early.deltas) == "echo:| héllo|");

    const streamed garbage = stream(backend::ollama, llm_method::chat, "<html>this is not JSON</html>\n", 3);
    BOOST_TEST(garbage.error == "the answer is not JSON: <html>this is not JSON</html>");
    BOOST_TEST(!garbage.retryable);
    const streamed sse_garbage = stream(backend::openai, llm_method::chat, "<html>nope</html>\n", 3);
    BOOST_TEST(sse_garbage.error == "the answer is not JSON: <html>nope</html>");

    const streamed failed = stream(backend::ollama, llm_method::chat,
                                   R"({"error":"out of memory"})" "\n", 100);
    BOOST_TEST(failed.error == "Ollama reported: out of memory");
    BOOST_TEST(failed.retryable);
    const streamed sse_failed = stream(backend::openai, llm_method::chat,
                                       "data: {\"error\":{\"message\":\"overloaded\"}}\n\n", 100);
    BOOST_TEST(sse_failed.error == "the server reported: overloaded");
    BOOST_TEST(sse_failed.retryable);
    const streamed no_done = stream(backend::openai, llm_method::chat,
                                    openai_stream.substr(0, openai_stream.find("data: [DONE]")), 100);
    BOOST_TEST(no_done.error == "the stream ended before its last record");

    // A server that ignores "stream": true answers with one JSON object; that is read whole.
    const streamed whole = stream(backend::openai, llm_method::chat,
                                  R"({"model":"g","choices":[{"message":{"content":"x"},"finish_reason":"stop"}]})", 9);
    BOOST_TEST(whole.error == "");
    BOOST_TEST(whole.c.text == "x");
}

BOOST_AUTO_TEST_CASE(model_lists_for_the_health_check) {
    const auto o = read_model_list(backend::ollama, R"({"models": [{"name": "llama3.2:latest"}, {"name": "llava"}]})");
    BOOST_TEST(o.size() == 2u);
    BOOST_TEST(o.at(0) == "llama3.2:latest");
    const auto a = read_model_list(backend::openai, R"({"object": "list", "data": [{"id": "gpt"}]})");
    BOOST_TEST(a.at(0) == "gpt");
    BOOST_CHECK_THROW(read_model_list(backend::openai, "<html>"), answer_error);
    BOOST_CHECK_THROW(read_model_list(backend::ollama, R"({"data": []})"), answer_error);
}

BOOST_AUTO_TEST_SUITE_END()
