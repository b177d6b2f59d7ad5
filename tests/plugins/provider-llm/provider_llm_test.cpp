// provider-llm against the real fixture server (tests/fixtures/llm_server.mjs, started with
// node): both backends, streaming with its task_progress events, embeddings with the old
// Ollama endpoint, files, the error table end to end, cancel, stop, health.

#include "provider_llm_harness.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>

namespace json = boost::json;
using namespace provider_llm_test;

BOOST_AUTO_TEST_SUITE(provider_llm_calls)

BOOST_AUTO_TEST_CASE(chat_streams_from_ollama_as_task_progress_then_the_whole_answer) {
    llm_harness t(shared_fixture(), R"({"default_model": "llama3.2"})");
    t.call("wf/a", "chat", R"({"messages": [{"role": "system", "content": "be brief"},
                                             {"role": "user", "content": "hello big world"}]})");
    BOOST_TEST_REQUIRE(t.run_until_results(1));
    t.check_ok(0, "wf/a", R"({"response": "echo: hello big world", "content": "echo: hello big world",
        "model": "llama3.2", "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
        "done_reason": "stop"})");
    BOOST_TEST(t.progress() == "wf/a#0:echo:|wf/a#1: hello|wf/a#2: big|wf/a#3: world|");
    BOOST_TEST(t.host.gauges["calls_total"] == 1);
    BOOST_TEST(t.host.gauges["running"] == 0);
    const json::value sent = t.last_request();
    BOOST_TEST(json::serialize(sent.at("path")) == "\"/api/chat\"");
    BOOST_TEST(sent.at("body").at("stream").as_bool() == true);
}

BOOST_AUTO_TEST_CASE(openai_with_a_key_streams_over_sse_and_answers_whole_without_stream) {
    fixture_process server({"--api-key", "sk-fixture"});
    llm_harness t(server, R"({"backend": "openai", "api_key_env": "LLM_TEST_KEY"})");
    t.call("wf/g", "generate", R"({"prompt": "one two", "model": "qwen", "max_tokens": 2})");
    BOOST_TEST_REQUIRE(t.run_until_results(1));
    t.check_ok(0, "wf/g", R"({"response": "echo: one", "content": "echo: one", "model": "qwen",
        "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}, "done_reason": "length"})");
    BOOST_TEST(t.progress() == "wf/g#0:echo:|wf/g#1: one|");
    BOOST_TEST(json::serialize(t.last_request().at("headers").at("authorization")) == "\"Bearer sk-fixture\"");

    // A url that ends in /v1, as servers' docs write it, calls the same paths.
    llm_harness whole(server, R"({"backend": "openai", "api_key_env": "LLM_TEST_KEY", "stream": false,
                                  "url": "$URL/v1/"})");
    whole.call("wf/c", "chat", R"({"model": "qwen", "messages": [{"role": "user", "content": "x"}],
                                   "format": "json"})");
    BOOST_TEST_REQUIRE(whole.run_until_results(1));
    whole.check_ok(0, "wf/c", R"({"response": "{\"echo\":\"x\"}", "content": "{\"echo\":\"x\"}",
        "model": "qwen", "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        "done_reason": "stop", "json": {"echo": "x"}})");
    BOOST_TEST(whole.progress() == "");

    llm_harness wrong(server, R"({"backend": "openai", "api_key_env": "LLM_WRONG_KEY"})");
    wrong.call("wf/w", "generate", R"({"prompt": "p", "model": "qwen"})");
    BOOST_TEST_REQUIRE(wrong.run_until_results(1));
    wrong.check_error(0, "provider_error", server.url() +
                      "/v1/chat/completions: answered 401: Incorrect API key provided (check the key "
                      "that api_key_env names)", false);
}

BOOST_AUTO_TEST_CASE(embeddings_on_both_backends_and_the_old_ollama_endpoint) {
    llm_harness o(shared_fixture(), R"({"default_model": "nomic-embed-text"})");
    o.call("e/1", "embed", R"({"input": ["a b", "c"]})");
    o.call("e/2", "embed", R"({"text": "a b", "model": "legacy"})");
    BOOST_TEST_REQUIRE(o.run_until_results(2));
    o.check_ok("e/1", R"({"embedding": [3, 2, 0.227], "embeddings": [[3, 2, 0.227], [1, 1, 0.099]],
        "model": "nomic-embed-text", "usage": {"prompt_tokens": 3, "total_tokens": 3}})");
    o.check_ok("e/2", R"({"embedding": [3, 2, 0.227], "embeddings": [[3, 2, 0.227]], "model": "legacy",
        "usage": {"prompt_tokens": null, "total_tokens": null}})");

    llm_harness a(shared_fixture(), R"({"backend": "openai", "default_model": "emb"})");
    a.call("e/3", "embed", R"({"text": "c"})");
    BOOST_TEST_REQUIRE(a.run_until_results(1));
    a.check_ok(0, "e/3", R"({"embedding": [1, 1, 0.099], "embeddings": [[1, 1, 0.099]], "model": "emb",
        "usage": {"prompt_tokens": 1, "total_tokens": 1}})");
}

BOOST_AUTO_TEST_CASE(file_path_and_image_path_reach_the_server) {
    temp_files files;
    const std::string notes = files.write("notes.txt", "the file's line\n");
    const std::string image = files.write("pixel.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
    llm_harness t(shared_fixture(), R"({"default_model": "vision", "file_root": ")" + files.path + R"("})");
    t.call("f/1", "generate", R"({"prompt": "Sum up:", "file_path": "notes.txt", "model": "llama3.2"})");
    BOOST_TEST_REQUIRE(t.run_until_results(1));
    BOOST_TEST(json::serialize(t.last_request().at("body").at("prompt")) ==
               R"("Sum up:\n\n--- notes.txt ---\nthe file's line\n")");
    t.call("f/2", "vision", R"({"prompt": "what", "image_path": ")" + image + R"("})");
    BOOST_TEST_REQUIRE(t.run_until_results(2));
    t.check_ok("f/2", R"({"response": "echo: what [1 image: 16 bytes]", "content": "echo: what [1 image: 16 bytes]",
        "model": "vision", "usage": {"prompt_tokens": 1, "completion_tokens": 6, "total_tokens": 7},
        "done_reason": "stop"})");
    BOOST_TEST(json::serialize(t.last_request().at("body").at("images")) == R"(["iVBORw0KGgoAAAANSUhEUg=="])");
    t.call("f/3", "generate", R"({"prompt": "p", "file_path": "/etc/hostname"})");
    BOOST_TEST_REQUIRE(t.run_until_results(3));
    t.check_error("f/3", "invalid_argument",
                  "generate: params.file_path '/etc/hostname' is outside file_root '" + files.path + "'", false);
}

BOOST_AUTO_TEST_CASE(the_error_table_end_to_end) {
    fixture_process& s = shared_fixture();
    llm_harness t(s, R"({"first_byte_timeout": 300, "max_body": 65536})");
    const char* chat = R"({"messages": [{"role": "user", "content": "a b c d e"}], "model": ")";
    for (const char* model : {"missing", "error500", "garbage", "huge", "slow-3000", "drop"})
        t.call(model, "chat", std::string(chat) + model + "\"}");
    BOOST_TEST_REQUIRE(t.run_until_results(6));
    const std::string at = s.url() + "/api/chat: ";
    t.check_error("missing", "provider_error",
                  at + "model 'missing' not found (404: model \"missing\" not found, try pulling it first)", false);
    t.check_error("error500", "provider_error", at + "answered 500: fixture: internal error", true);
    t.check_error("garbage", "provider_error", at + "the answer is not JSON: <html>this is not JSON</html>", false);
    t.check_error("huge", "provider_error", at + "the answer is over max_body (65536 bytes)", false);
    t.check_error("slow-3000", "timeout", at + "no answer within first_byte_timeout (300 ms)", true);
    BOOST_TEST(t.error_of("drop").rfind(at + "the connection broke mid-answer: ", 0) == 0u, t.error_of("drop"));
    BOOST_TEST(t.result_of("drop").error->retryable);
    // The two tokens before the drop were streamed all the same.
    BOOST_TEST(t.progress("drop") == "drop#0:echo:|drop#1: a|");
}

BOOST_AUTO_TEST_CASE(cancel_ends_a_streaming_call_and_closes_its_request) {
    fixture_process& s = shared_fixture();
    llm_harness t(s, "{}");
    t.call("c/1", "chat", R"({"model": "trickle-300", "messages": [{"role": "user", "content": "a b c d e f g"}]})");
    BOOST_TEST_REQUIRE(t.run_until([&] { return !t.host.events("task_progress").empty(); }));
    t.provider->cancel("c/1");
    BOOST_TEST(t.results.empty()); // never inside cancel()
    BOOST_TEST_REQUIRE(t.run_until_results(1));
    t.check_error(0, "cancelled", "cancelled", false);
    BOOST_TEST(t.run_until([&] { return t.last_request().at("aborted").as_bool(); }));
    const std::size_t seen = t.host.events("task_progress").size();
    t.run_for(400);
    BOOST_TEST(t.host.events("task_progress").size() == seen); // nothing after the end
}

BOOST_AUTO_TEST_CASE(stop_answers_every_open_call_once_with_cancelled) {
    llm_harness t(shared_fixture(), "{}");
    t.call("s/1", "chat", R"({"model": "slow-3000", "messages": []})");
    t.call("s/2", "embed", R"({"model": "slow-3000", "text": "x"})");
    t.run_for(100);
    BOOST_TEST(t.provider->running() == 2u);
    t.provider->stop();
    BOOST_TEST_REQUIRE(t.results.size() == 2u);
    t.check_error(0, "cancelled", "provider-llm is stopping", false);
    t.check_error(1, "cancelled", "provider-llm is stopping", false);
    t.run_for(200);
    BOOST_TEST(t.results.size() == 2u);
    t.call("s/3", "chat", R"({"model": "m", "messages": []})");
    t.check_error(2, "cancelled", "provider-llm is stopped", false);
}

BOOST_AUTO_TEST_CASE(calls_reuse_a_kept_alive_connection) {
    fixture_process server;
    llm_harness t(server, R"({"health_interval": 0, "stream": false})");
    for (int i = 0; i < 3; ++i) {
        t.call("k/" + std::to_string(i), "generate", R"({"model": "m", "prompt": "p"})");
        BOOST_TEST_REQUIRE(t.run_until_results(static_cast<std::size_t>(i) + 1));
    }
    // One connection number on all three (this test's own GET opens another).
    std::string connections;
    const json::value seen = server.requests();
    for (const auto& r : seen.at("requests").as_array())
        connections += std::to_string(r.at("connection").as_int64()) + " ";
    BOOST_TEST(connections == "1 1 1 ");
}

BOOST_AUTO_TEST_CASE(an_instance_whose_server_is_gone_withdraws_llm_v1_until_it_is_back) {
    auto server = std::make_unique<fixture_process>();
    const std::uint16_t port = server->port;
    llm_harness t(*server, R"({"health_interval": 100, "connect_timeout": 200})");
    BOOST_TEST(t.provider->protocols().size() == 1u);
    server->kill();
    BOOST_TEST_REQUIRE(t.run_until([&] { return !t.provider->healthy(); }));
    BOOST_TEST(t.provider->protocols().empty());
    BOOST_TEST(t.host.gauges["healthy"] == 0);
    BOOST_TEST(t.host.events("protocols_changed").size() == 1u);
    server = std::make_unique<fixture_process>(std::vector<std::string>{"--port", std::to_string(port)});
    BOOST_TEST_REQUIRE(t.run_until([&] { return t.provider->healthy(); }));
    BOOST_TEST(t.provider->protocols().at(0).id == "llm/v1");
    BOOST_TEST(t.host.gauges["healthy"] == 1);
    BOOST_TEST(t.host.events("protocols_changed").size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_refused_call_fails_without_touching_the_server) {
    llm_harness t(shared_fixture(), "{}");
    t.call("r/1", "chat", R"({"messages": []})");
    t.call("r/2", "translate", "{}");
    BOOST_TEST(t.results.empty());
    BOOST_TEST_REQUIRE(t.run_until_results(2));
    t.check_error("r/1", "invalid_argument", "chat: params.model is missing and the config sets no default_model", false);
    t.check_error("r/2", "not_found", "llm/v1 has no method 'translate'", false);
    BOOST_TEST(t.host.gauges["running"] == 0);
}

BOOST_AUTO_TEST_SUITE_END()
