// The error table of llm_errors.hpp, row by row: code, retryable and the exact message; and
// conclude(), which turns an HTTP exchange into a result, an error or the next request.

#include "llm_errors.hpp"
#include "llm_exchange.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace json = boost::json;
using namespace gleitzeit::provider_llm_detail;
using gleitzeit::task_error;
using provider_io_failure = gleitzeit::provider_io::http_failure;
using namespace std::chrono_literals;

namespace {

const std::string at = "http://127.0.0.1:9/api/chat";

std::string show(const task_error& e) {
    return std::string(gleitzeit::to_string(e.code)) + (e.retryable ? " retryable: " : " final: ") +
           e.message;
}

std::string failure(provider_io_failure kind, const char* message = "x") {
    llm_config c;
    c.max_body = 4096;
    c.first_byte_timeout = 500ms;
    return show(from_http_failure({kind, message, true}, at, c, 1500ms));
}

gleitzeit::provider_io::http_response answer(unsigned status, std::string body) {
    gleitzeit::provider_io::http_response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

exchange_outcome conclude_on(backend api, const char* method, const char* params,
                             const gleitzeit::provider_io::http_response& r,
                             exchange_stage stage = exchange_stage::main) {
    llm_config c;
    c.api = api;
    const llm_request req = read_request(method, json::parse(params).as_object(), "m");
    return conclude(c, req, stage, std::nullopt, r, nullptr, nullptr, at, 1000ms);
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_llm_errors)

BOOST_AUTO_TEST_CASE(http_failures) {
    BOOST_TEST(failure(provider_io_failure::connect, "connection refused") ==
               "provider_error retryable: " + at + ": cannot connect: connection refused");
    BOOST_TEST(failure(provider_io_failure::resolve, "no such host") ==
               "provider_error retryable: " + at + ": cannot connect: no such host");
    BOOST_TEST(failure(provider_io_failure::connect_timeout) ==
               "timeout retryable: " + at + ": no connection within connect_timeout (5000 ms)");
    BOOST_TEST(failure(provider_io_failure::first_byte_timeout) ==
               "timeout retryable: " + at + ": no answer within first_byte_timeout (500 ms)");
    BOOST_TEST(failure(provider_io_failure::total_timeout) ==
               "timeout retryable: " + at + ": the call took longer than 1500 ms");
    BOOST_TEST(failure(provider_io_failure::body_too_large) ==
               "provider_error final: " + at + ": the answer is over max_body (4096 bytes)");
    BOOST_TEST(failure(provider_io_failure::protocol, "end of stream") ==
               "provider_error retryable: " + at + ": the connection broke mid-answer: end of stream");
    BOOST_TEST(failure(provider_io_failure::tls, "certificate verify failed") ==
               "provider_error final: " + at + ": certificate verify failed");
    BOOST_TEST(failure(provider_io_failure::cancelled) == "cancelled final: cancelled");
    BOOST_TEST(is_connection_failure(provider_io_failure::connect));
    BOOST_TEST(is_connection_failure(provider_io_failure::connect_timeout));
    BOOST_TEST(!is_connection_failure(provider_io_failure::first_byte_timeout));
    BOOST_TEST(!is_connection_failure(provider_io_failure::protocol));
}

BOOST_AUTO_TEST_CASE(statuses) {
    const std::pair<std::pair<unsigned, const char*>, std::string> cases[] = {
        {{404, R"({"error":"model \"llama9\" not found, try pulling it first"})"},
         "provider_error final: " + at +
             ": model 'llama9' not found (404: model \"llama9\" not found, try pulling it first)"},
        {{404, R"({"error":{"message":"The model `llama9` does not exist","code":"model_not_found"}})"},
         "provider_error final: " + at + ": model 'llama9' not found (404: The model `llama9` does not exist)"},
        {{404, "404 page not found"}, "provider_error final: " + at + ": answered 404: 404 page not found"},
        {{400, R"({"error":"bad\nrequest"})"}, "provider_error final: " + at + ": answered 400: bad request"},
        {{401, R"({"error":{"message":"Incorrect API key provided"}})"},
         "provider_error final: " + at +
             ": answered 401: Incorrect API key provided (check the key that api_key_env names)"},
        {{500, R"({"error":"fixture: internal error"})"},
         "provider_error retryable: " + at + ": answered 500: fixture: internal error"},
        {{503, ""}, "provider_error retryable: " + at + ": answered 503"},
        {{429, "slow down"}, "provider_error retryable: " + at + ": answered 429: slow down"},
        {{408, "{}"}, "provider_error retryable: " + at + ": answered 408: {}"},
    };
    for (const auto& [in, expected] : cases)
        BOOST_TEST(show(from_status(in.first, in.second, at, "llama9")) == expected);
    BOOST_TEST(show(not_json("<html>" + std::string(300, 'x'), at)) ==
               "provider_error final: " + at + ": the answer is not JSON: <html>" +
                   std::string(194, 'x') + "...");
}

BOOST_AUTO_TEST_CASE(clipping_keeps_utf8_whole) {
    BOOST_TEST(clip("ab\x01\tc", 10) == "ab  c");
    BOOST_TEST(clip("aé", 2) == "a...");
    BOOST_TEST(clip("abc", 3) == "abc");
}

BOOST_AUTO_TEST_CASE(conclude_turns_exchanges_into_outcomes) {
    const auto ok = conclude_on(backend::ollama, "generate", R"({"prompt": "p"})",
                                answer(200, R"({"response": "r", "done": true, "eval_count": 1})"));
    BOOST_TEST_REQUIRE(ok.result.has_value());
    BOOST_TEST(json::serialize(ok.result->at("response")) == "\"r\"");
    BOOST_TEST(json::serialize(ok.result->at("model")) == "\"m\""); // the request's, when absent

    const auto garbage = conclude_on(backend::openai, "chat",
                                     R"({"messages": [{"role": "user", "content": "x"}]})",
                                     answer(200, "<html>this is not JSON</html>"));
    BOOST_TEST_REQUIRE(garbage.error.has_value());
    BOOST_TEST(show(*garbage.error) ==
               "provider_error final: " + at + ": the answer is not JSON: <html>this is not JSON</html>");

    const auto shape = conclude_on(backend::openai, "chat",
                                   R"({"messages": [{"role": "user", "content": "x"}]})",
                                   answer(200, R"({"choices": "none"})"));
    BOOST_TEST(show(*shape.error) ==
               "provider_error final: " + at + ": the /v1/chat/completions answer has no \"choices\" array");

    // /api/embed missing (Go's plain 404): ask again on /api/embeddings; a model's 404 is final.
    const auto route = conclude_on(backend::ollama, "embed", R"({"text": "a"})", answer(404, "404 page not found"));
    BOOST_TEST(route.retry_legacy_embed);
    BOOST_TEST(!route.error.has_value());
    const auto model = conclude_on(backend::ollama, "embed", R"({"text": "a"})",
                                   answer(404, R"({"error":"model \"m\" not found"})"));
    BOOST_TEST(!model.retry_legacy_embed);
    BOOST_TEST(show(*model.error) == "provider_error final: " + at + ": model 'm' not found (404: model \"m\" not found)");
    const auto vector = conclude_on(backend::ollama, "embed", R"({"text": "a"})",
                                    answer(200, R"({"embedding": [1, 2]})"), exchange_stage::legacy_embed);
    BOOST_TEST(json::serialize(*vector.vector) == "[1,2]");

    const auto count = conclude_on(backend::openai, "embed", R"({"input": ["a", "b"]})",
                                   answer(200, R"({"data": [{"embedding": [1]}]})"));
    BOOST_TEST(show(*count.error) == "provider_error final: " + at + ": the answer has 1 embeddings for 2 inputs");

    llm_config c;
    const llm_request req = read_request("generate", json::parse(R"({"prompt": "p"})").as_object(), "m");
    const auto refused = conclude(c, req, exchange_stage::main,
                                  gleitzeit::provider_io::http_error{provider_io_failure::connect, "refused", true},
                                  {}, nullptr, nullptr, at, 1000ms);
    BOOST_TEST(refused.unreachable);
    BOOST_TEST(show(*refused.error) == "provider_error retryable: " + at + ": cannot connect: refused");
}

BOOST_AUTO_TEST_CASE(the_http_request_carries_url_key_timeouts_and_cap) {
    llm_config c;
    c.url = "http://127.0.0.1:9";
    c.api_key = "sk-1";
    c.connect_timeout = 10ms;
    c.first_byte_timeout = 20ms;
    c.max_body = 5000;
    const auto req = to_http(c, wire_request{"/api/chat", json::object{{"model", "m"}}}, 30ms);
    BOOST_TEST(req.method == "POST");
    BOOST_TEST(req.url == "http://127.0.0.1:9/api/chat");
    BOOST_TEST(req.body == R"({"model":"m"})");
    std::string headers;
    for (const auto& [k, v] : req.headers)
        headers += k + "=" + v + ";";
    BOOST_TEST(headers == "Accept=application/json, application/x-ndjson, text/event-stream;"
                          "Content-Type=application/json;Authorization=Bearer sk-1;");
    BOOST_TEST(req.connect_timeout.count() == 10);
    BOOST_TEST(req.first_byte_timeout.count() == 20);
    BOOST_TEST(req.total_timeout.count() == 30);
    BOOST_TEST(req.max_body == 5000u);
    BOOST_TEST(to_http(c, wire_request{"/api/tags", {}}, 30ms).method == "GET");
}

BOOST_AUTO_TEST_SUITE_END()
