// provider-http's shaping of responses into results and failures, the retryable verdict of
// each status and client failure, and redirects: where a Location leads and what is sent
// there.

#include "http_redirect.hpp"
#include "http_result.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace json = boost::json;
namespace pio = gleitzeit::provider_io;
using namespace gleitzeit::provider_http_detail;

namespace {

pio::http_response response(unsigned status, pio::header_list headers, std::string body) {
    pio::http_response r;
    r.status = status;
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
}

std::string shaped(const pio::http_response& r) {
    return json::serialize(shape_result(r, "http://h/x?k=1"));
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_http)

BOOST_AUTO_TEST_CASE(result_shaping_table) {
    struct row {
        pio::http_response r;
        const char* result;
    };
    const std::vector<row> table{
        {response(200, {{"Content-Type", "application/json"}}, R"({"a":[1,2]})"),
         R"({"status":200,"url":"http://h/x?k=1","headers":{"content-type":"application/json"},"json":{"a":[1,2]}})"},
        {response(201, {{"Content-Type", "Application/JSON; charset=utf-8"}}, "3"),
         R"({"status":201,"url":"http://h/x?k=1","headers":{"content-type":"Application/JSON; charset=utf-8"},"json":3})"},
        {response(200, {{"content-type", "application/problem+json"}}, R"({"t":1})"),
         R"({"status":200,"url":"http://h/x?k=1","headers":{"content-type":"application/problem+json"},"json":{"t":1}})"},
        {response(200, {{"Content-Type", "application/json"}}, "{broken"),
         R"({"status":200,"url":"http://h/x?k=1","headers":{"content-type":"application/json"},"body":"{broken"})"},
        {response(200, {{"Content-Type", "text/plain"}}, R"({"a":1})"),
         R"({"status":200,"url":"http://h/x?k=1","headers":{"content-type":"text/plain"},"body":"{\"a\":1}"})"},
        {response(204, {}, ""), R"({"status":204,"url":"http://h/x?k=1","headers":{},"body":""})"},
        {response(200, {{"X-A", "1"}, {"x-a", "2"}, {"Set-Cookie", "s=1"}}, "héllo"),
         R"({"status":200,"url":"http://h/x?k=1","headers":{"x-a":"1, 2","set-cookie":"s=1"},"body":"héllo"})"},
        {response(200, {{"Content-Type", "image/png"}}, std::string("\x89PNG\0\xff", 6)),
         R"({"status":200,"url":"http://h/x?k=1","headers":{"content-type":"image/png"},"body_base64":"iVBORwD/"})"},
    };
    for (const row& r : table)
        BOOST_TEST(shaped(r.r) == r.result);
}

BOOST_AUTO_TEST_CASE(status_retryable_table) {
    for (unsigned s : {500u, 502u, 503u, 504u, 599u, 408u, 429u})
        BOOST_TEST(status_retryable(s), s);
    for (unsigned s : {300u, 304u, 400u, 401u, 403u, 404u, 405u, 409u, 410u, 413u, 422u, 451u})
        BOOST_TEST(!status_retryable(s), s);
}

BOOST_AUTO_TEST_CASE(status_errors_name_status_method_and_url_without_query) {
    const auto e404 = status_error(response(404, {}, ""), "GET", "http://h:8/a/b?key=secret#f");
    BOOST_TEST(e404.message == "HTTP 404 Not Found from GET http://h:8/a/b");
    BOOST_TEST(gleitzeit::to_string(e404.code) == "provider_error");
    BOOST_TEST(!e404.retryable);
    const auto e503 = status_error(response(503, {}, "try later"), "POST", "https://h/");
    BOOST_TEST(e503.message == "HTTP 503 Service Unavailable from POST https://h/: try later");
    BOOST_TEST(e503.retryable);
    const auto e570 = status_error(response(570, {}, std::string(300, 'x')), "GET", "http://h/");
    BOOST_TEST(e570.message == "HTTP 570 from GET http://h/: " + std::string(200, 'x') + "...");
    // A binary body stays out of the message.
    const auto e400 = status_error(response(400, {}, std::string("\xff\xfe", 2)), "PUT", "http://h/");
    BOOST_TEST(e400.message == "HTTP 400 Bad Request from PUT http://h/");
}

BOOST_AUTO_TEST_CASE(client_failures_map_to_codes_and_keep_message_and_verdict) {
    using pio::http_failure;
    struct row {
        http_failure kind;
        bool retryable;
        const char* code;
        const char* message;
    };
    const std::vector<row> table{
        {http_failure::connect, true, "provider_error", "h:1: connect failed: Connection refused"},
        {http_failure::first_byte_timeout, true, "timeout", "h:1: no response within 5 ms"},
        {http_failure::total_timeout, true, "timeout", "h:1: call not finished within 5 ms"},
        {http_failure::connect_timeout, true, "timeout", "h:1: no connection within 5 ms"},
        {http_failure::body_too_large, false, "provider_error", "h:1: response body over max_body (5 bytes)"},
        {http_failure::refused_address, false, "provider_error", "h:1: address 10.0.0.1 refused: x"},
        {http_failure::cancelled, false, "cancelled", "cancelled"},
    };
    for (const row& r : table) {
        const auto e = failure_error({r.kind, r.message, r.retryable});
        BOOST_TEST(gleitzeit::to_string(e.code) == r.code);
        BOOST_TEST(e.message == r.message);
        BOOST_TEST(e.retryable == r.retryable);
    }
}

BOOST_AUTO_TEST_CASE(redirect_locations_table) {
    const std::vector<std::pair<const char*, const char*>> table{
        {"https://other.org/z", "https://other.org/z"},
        {"HTTP://other.org", "HTTP://other.org"},
        {"//other.org:81/z", "http://other.org:81/z"},
        {"/abs?q=1", "http://h:8080/abs?q=1"},
        {"rel", "http://h:8080/a/rel"},
        {"../up", "http://h:8080/a/../up"},
        {"?only=query", "http://h:8080/a/b?only=query"},
        {"", "http://h:8080/a/b?x=1"},
    };
    for (const auto& [location, out] : table) {
        const auto resolved = resolve_location("http://h:8080/a/b?x=1", location);
        BOOST_TEST_REQUIRE(resolved.has_value(), location);
        BOOST_TEST(*resolved == out, location);
    }
    BOOST_TEST(!resolve_location("not a url", "/x").has_value());
}

BOOST_AUTO_TEST_CASE(next_hop_changes_method_and_drops_headers_as_browsers_do) {
    const hop post{"POST", "http://h/a",
                   {{"Content-Type", "application/json"}, {"Authorization", "Bearer t"}, {"X-K", "v"}},
                   "{}"};
    auto show = [](const hop& h) {
        std::string out = h.method + " " + h.url + " [" + h.body + "]";
        for (const auto& [n, v] : h.headers)
            out += " " + n;
        return out;
    };
    BOOST_TEST(show(next_hop(post, 303, "http://h/b")) == "GET http://h/b [] Authorization X-K");
    BOOST_TEST(show(next_hop(post, 302, "http://h/b")) == "GET http://h/b [] Authorization X-K");
    BOOST_TEST(show(next_hop(post, 307, "http://h/b")) ==
               "POST http://h/b [{}] Content-Type Authorization X-K");
    BOOST_TEST(show(next_hop(post, 308, "http://other/b")) == "POST http://other/b [{}] Content-Type X-K");
    BOOST_TEST(show(next_hop(post, 307, "https://h/b")) == "POST https://h/b [{}] Content-Type X-K");
    BOOST_TEST(show(next_hop(post, 307, "http://h:81/b")) == "POST http://h:81/b [{}] Content-Type X-K");
    const hop put{"PUT", "http://h/a", {}, "x"};
    BOOST_TEST(show(next_hop(put, 301, "http://h/b")) == "PUT http://h/b [x]");
    const hop head{"HEAD", "http://h/a", {}, ""};
    BOOST_TEST(show(next_hop(head, 303, "http://h/b")) == "HEAD http://h/b []");
}

BOOST_AUTO_TEST_CASE(utf8_validation_table) {
    BOOST_TEST(is_utf8(""));
    BOOST_TEST(is_utf8("plain"));
    BOOST_TEST(is_utf8("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    BOOST_TEST(!is_utf8("\xc3"));             // cut short
    BOOST_TEST(!is_utf8("\xc0\xaf"));         // overlong
    BOOST_TEST(!is_utf8("\xed\xa0\x80"));     // surrogate
    BOOST_TEST(!is_utf8("\xf4\x90\x80\x80")); // over U+10FFFF
    BOOST_TEST(!is_utf8("\xff"));
}

BOOST_AUTO_TEST_SUITE_END()
