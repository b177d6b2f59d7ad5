// What a task gets from MCP answers: a single text (plain and JSON), several contents,
// structuredContent, isError, and answers in a shape the spec does not have.

#include "tool_result.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace json = boost::json;
using namespace gleitzeit::provider_mcp_detail;
using gleitzeit::error_code;

namespace {

call_outcome shape(const std::string& answer) {
    return shape_tool_result(json::parse(answer), "srv", "t");
}

std::string result_text(const call_outcome& o) {
    BOOST_TEST_REQUIRE(o.result.has_value());
    BOOST_TEST(!o.error.has_value());
    return json::serialize(*o.result);
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_mcp)

BOOST_AUTO_TEST_CASE(result_of_a_single_text_is_the_text) {
    BOOST_TEST(result_text(shape(R"({"content":[{"type":"text","text":"Echo: hi"}]})")) ==
               R"({"content":[{"type":"text","text":"Echo: hi"}],"result":"Echo: hi"})");
}

BOOST_AUTO_TEST_CASE(result_of_a_single_json_text_is_the_parsed_json) {
    BOOST_TEST(result_text(shape(R"({"content":[{"type":"text","text":"{\"n\": [1, 2]}"}]})")) ==
               R"({"content":[{"type":"text","text":"{\"n\": [1, 2]}"}],"result":{"n":[1,2]}})");
    BOOST_TEST(result_text(shape(R"({"content":[{"type":"text","text":" 42 "}]})")) ==
               R"({"content":[{"type":"text","text":" 42 "}],"result":42})");
    // Text that merely starts like JSON stays text.
    BOOST_TEST(result_text(shape(R"({"content":[{"type":"text","text":"[1] and more"}]})")) ==
               R"({"content":[{"type":"text","text":"[1] and more"}],"result":"[1] and more"})");
}

BOOST_AUTO_TEST_CASE(result_of_several_or_non_text_contents_has_no_result_field) {
    BOOST_TEST(result_text(shape(
                   R"({"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]})")) ==
               R"({"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]})");
    BOOST_TEST(result_text(shape(R"({"content":[{"type":"image","data":"AA==","mimeType":"image/png"}]})")) ==
               R"({"content":[{"type":"image","data":"AA==","mimeType":"image/png"}]})");
    BOOST_TEST(result_text(shape(R"({"content":[]})")) == R"({"content":[]})");
}

BOOST_AUTO_TEST_CASE(result_keeps_structured_content) {
    BOOST_TEST(result_text(shape(
                   R"({"content":[{"type":"text","text":"{\"t\":1}"}],"structuredContent":{"t":1},"isError":false})")) ==
               R"({"content":[{"type":"text","text":"{\"t\":1}"}],"result":{"t":1},"structuredContent":{"t":1}})");
}

BOOST_AUTO_TEST_CASE(result_with_is_error_fails_the_task_with_its_text) {
    const call_outcome o = shape(
        R"x({"content":[{"type":"text","text":"no such file"},{"type":"image","data":""},{"type":"text","text":"(x.txt)"}],"isError":true})x");
    BOOST_TEST_REQUIRE(o.error.has_value());
    BOOST_TEST(!o.result.has_value());
    BOOST_TEST((o.error->code == error_code::provider_error));
    BOOST_TEST(o.error->message == "no such file\n(x.txt)");
    BOOST_TEST(o.error->retryable == false);

    const call_outcome silent = shape(R"({"content":[],"isError":true})");
    BOOST_TEST_REQUIRE(silent.error.has_value());
    BOOST_TEST(silent.error->message == "tool 't' of MCP server 'srv' failed without saying why");
}

BOOST_AUTO_TEST_CASE(result_in_a_shape_mcp_does_not_have_fails_not_retryable) {
    const call_outcome a = shape(R"([1])");
    BOOST_TEST_REQUIRE(a.error.has_value());
    BOOST_TEST(a.error->message ==
               "tool 't' of MCP server 'srv' answered with a result that is not an object");
    BOOST_TEST(a.error->retryable == false);
    const call_outcome b = shape(R"({"content":"hi"})");
    BOOST_TEST_REQUIRE(b.error.has_value());
    BOOST_TEST(b.error->message == "tool 't' of MCP server 'srv' answered without a 'content' array");
}

BOOST_AUTO_TEST_CASE(resource_contents_are_shaped_like_tool_content) {
    const call_outcome one = shape_resource_contents(
        json::parse(R"({"contents":[{"uri":"demo://a","mimeType":"text/plain","text":"hello"}]})"),
        "srv");
    BOOST_TEST(result_text(one) ==
               R"({"contents":[{"uri":"demo://a","mimeType":"text/plain","text":"hello"}],"result":"hello"})");
    const call_outcome blob = shape_resource_contents(
        json::parse(R"({"contents":[{"uri":"demo://b","blob":"AA=="}]})"), "srv");
    BOOST_TEST(result_text(blob) == R"({"contents":[{"uri":"demo://b","blob":"AA=="}]})");
    const call_outcome bad = shape_resource_contents(json::parse(R"({"content":[]})"), "srv");
    BOOST_TEST_REQUIRE(bad.error.has_value());
    BOOST_TEST(bad.error->message ==
               "MCP server 'srv' answered resources/read without a 'contents' array");
}

BOOST_AUTO_TEST_SUITE_END()
