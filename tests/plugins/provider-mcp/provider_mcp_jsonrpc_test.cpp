// JSON-RPC 2.0 as provider-mcp writes and reads it: the exact text of each message it builds,
// every kind of message it reads, and the reason it gives for each thing it refuses.

#include "jsonrpc.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

namespace json = boost::json;
namespace rpc = gleitzeit::provider_mcp_detail::jsonrpc;

namespace {

/// The one message `text` holds; fails the test otherwise.
rpc::message one(const std::string& text) {
    std::string why;
    auto messages = rpc::parse(text, why);
    BOOST_TEST_REQUIRE(messages.size() == 1u, text << ": " << why);
    BOOST_TEST(why.empty());
    return std::move(messages[0]);
}

/// Why `text` is refused; "" if it is not.
std::string why_refused(const std::string& text) {
    std::string why;
    auto messages = rpc::parse(text, why);
    BOOST_TEST(messages.empty(), text);
    return why;
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_mcp)

BOOST_AUTO_TEST_CASE(jsonrpc_builds_each_message_exactly) {
    BOOST_TEST(json::serialize(rpc::request(7, "tools/list")) ==
               R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})");
    BOOST_TEST(json::serialize(rpc::request(1, "tools/call",
                                            json::object{{"name", "echo"},
                                                         {"arguments", {{"message", "hi"}}}})) ==
               R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}})");
    BOOST_TEST(json::serialize(rpc::notification("notifications/initialized")) ==
               R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    BOOST_TEST(json::serialize(rpc::notification(
                   "notifications/cancelled", json::object{{"requestId", 3}, {"reason", "x"}})) ==
               R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"x"}})");
    BOOST_TEST(json::serialize(rpc::result(json::value("abc"), {})) ==
               R"({"jsonrpc":"2.0","id":"abc","result":{}})");
    BOOST_TEST(json::serialize(rpc::error(json::value(5), rpc::method_not_found, "no")) ==
               R"({"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"no"}})");
}

BOOST_AUTO_TEST_CASE(jsonrpc_reads_each_kind_of_message) {
    const rpc::message r = one(R"({"jsonrpc":"2.0","id":4,"result":{"tools":[]}})");
    BOOST_TEST((r.kind == rpc::kind::result));
    BOOST_TEST((rpc::integer_id(r.id) == std::optional<std::int64_t>(4)));
    BOOST_TEST(json::serialize(r.result) == R"({"tools":[]})");

    const rpc::message e =
        one(R"({"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"bad","data":[1]}})");
    BOOST_TEST((e.kind == rpc::kind::error));
    BOOST_TEST(e.error_code == -32602);
    BOOST_TEST(e.error_message == "bad");
    BOOST_TEST(json::serialize(e.error_data) == "[1]");
    BOOST_TEST(rpc::describe_error(e) == "-32602: bad");

    // An error about a request the server could not read has a null id.
    const rpc::message n = one(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"p"}})");
    BOOST_TEST((n.kind == rpc::kind::error));
    BOOST_TEST(n.id.is_null());
    BOOST_TEST(!rpc::integer_id(n.id));

    const rpc::message q = one(R"({"jsonrpc":"2.0","id":"s-1","method":"ping"})");
    BOOST_TEST((q.kind == rpc::kind::request));
    BOOST_TEST(q.method == "ping");
    BOOST_TEST(q.id.as_string() == "s-1");
    BOOST_TEST(!rpc::integer_id(q.id)); // a string id never answers one of ours
    BOOST_TEST(q.params.empty());

    const rpc::message p = one(
        R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":2,"progress":1,"total":5}})");
    BOOST_TEST((p.kind == rpc::kind::notification));
    BOOST_TEST(p.method == "notifications/progress");
    BOOST_TEST(json::serialize(p.params) == R"({"progressToken":2,"progress":1,"total":5})");
}

BOOST_AUTO_TEST_CASE(jsonrpc_reads_a_batch_in_order) {
    std::string why;
    auto batch = rpc::parse(
        R"([{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"x"}},{"jsonrpc":"2.0","id":1,"result":{}}])",
        why);
    BOOST_TEST_REQUIRE(batch.size() == 2u);
    BOOST_TEST((batch[0].kind == rpc::kind::notification));
    BOOST_TEST((batch[1].kind == rpc::kind::result));
}

BOOST_AUTO_TEST_CASE(jsonrpc_refuses_what_is_not_a_message_with_a_reason) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"hello world", "not JSON (syntax error)"},
        {"[1,2", "not JSON (incomplete JSON)"},
        {"42", "not a JSON object"},
        {R"({"id":1,"result":{}})", "'jsonrpc' is not \"2.0\""},
        {R"({"jsonrpc":"1.0","id":1,"result":{}})", "'jsonrpc' is not \"2.0\""},
        {R"({"jsonrpc":"2.0"})", "neither a request, a notification nor a response (no 'method', no 'id')"},
        {R"({"jsonrpc":"2.0","method":5})", "'method' is not a string"},
        {R"({"jsonrpc":"2.0","method":"m","params":[1]})", "'params' is not an object"},
        {R"({"jsonrpc":"2.0","id":[1],"method":"m"})", "'id' is not a string or an integer"},
        {R"({"jsonrpc":"2.0","id":null,"result":{}})", "'id' is not a string or an integer"},
        {R"({"jsonrpc":"2.0","id":1})", "a response with neither 'result' nor 'error'"},
        {R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})", "both 'result' and 'error'"},
        {R"({"jsonrpc":"2.0","id":1,"error":"bad"})", "'error' is not an object"},
        {R"({"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}})", "'error.code' is not an integer"},
        {R"({"jsonrpc":"2.0","id":1,"error":{"code":1}})", "'error.message' is not a string"},
        {"[]", "an empty batch"},
        {R"([{"jsonrpc":"2.0","id":1,"result":{}}, 7])", "batch element 1: not a JSON object"},
    };
    for (const auto& [text, why] : cases)
        BOOST_TEST(why_refused(text) == why, text);
}

BOOST_AUTO_TEST_SUITE_END()
