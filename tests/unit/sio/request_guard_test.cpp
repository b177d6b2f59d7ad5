// The request guard (host/sio/server/request_guard.hpp): Host against DNS rebinding, Origin
// against the pages a browser opens (docs/security.md).

#include "sio/server/request_guard.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

namespace sio = gleitzeit::sio;

namespace {
const sio::request_guard loopback{{"localhost", "127.0.0.1", "::1"}, {}};

std::string reason(const sio::request_guard& g, std::string_view host, std::string_view origin) {
    auto r = g.check(host, origin);
    return r ? r->reason : "allowed";
}
} // namespace

BOOST_AUTO_TEST_SUITE(request_guard)

BOOST_AUTO_TEST_CASE(host_names_lose_port_brackets_case_and_the_trailing_dot) {
    BOOST_TEST(sio::host_name("127.0.0.1:6680") == "127.0.0.1");
    BOOST_TEST(sio::host_name("[::1]:6680") == "::1");
    BOOST_TEST(sio::host_name("[::1]") == "::1");
    BOOST_TEST(sio::host_name("LocalHost.:80") == "localhost");
    BOOST_TEST(sio::host_name("hub.example") == "hub.example");
}

BOOST_AUTO_TEST_CASE(only_listed_hosts_pass) {
    BOOST_TEST(reason(loopback, "127.0.0.1:6680", "") == "allowed");
    BOOST_TEST(reason(loopback, "localhost:6680", "") == "allowed");
    BOOST_TEST(reason(loopback, "[::1]:6680", "") == "allowed");
    BOOST_TEST(reason(loopback, "LOCALHOST", "") == "allowed");
    // A rebound name resolves to 127.0.0.1 but still names itself in Host.
    BOOST_TEST(reason(loopback, "evil.example:6680", "") == "host");
    BOOST_TEST(reason(loopback, "localhost.evil.example", "") == "host");
    BOOST_TEST(reason(loopback, "127.0.0.2:6680", "") == "host");
    // No Host at all (HTTP/1.0) is no browser.
    BOOST_TEST(reason(loopback, "", "") == "allowed");
    BOOST_TEST(reason(sio::request_guard{{"*"}, {}}, "anything.example", "") == "allowed");
}

BOOST_AUTO_TEST_CASE(a_request_without_origin_is_a_program_and_passes) {
    BOOST_TEST(reason(loopback, "127.0.0.1:6680", "") == "allowed");
}

BOOST_AUTO_TEST_CASE(the_servers_own_pages_pass_without_a_list) {
    BOOST_TEST(reason(loopback, "127.0.0.1:6680", "http://127.0.0.1:6680") == "allowed");
    BOOST_TEST(reason(loopback, "localhost:6680", "https://LOCALHOST:6680/") == "allowed");
    // Another port is another origin: a page served by some other local server.
    BOOST_TEST(reason(loopback, "127.0.0.1:6680", "http://127.0.0.1:8000") == "origin");
    BOOST_TEST(reason(loopback, "127.0.0.1:6680", "http://localhost:6680") == "origin");
    BOOST_TEST(reason(loopback, "127.0.0.1:6680", "http://evil.example") == "origin");
    // Sandboxed frames and file: pages send "null".
    BOOST_TEST(reason(loopback, "127.0.0.1:6680", "null") == "origin");
}

BOOST_AUTO_TEST_CASE(listed_origins_pass_and_a_star_passes_all) {
    sio::request_guard g{{"127.0.0.1"}, {"https://app.example", "HTTP://Other.example:8080"}};
    BOOST_TEST(reason(g, "127.0.0.1:6680", "https://app.example") == "allowed");
    BOOST_TEST(reason(g, "127.0.0.1:6680", "http://other.example:8080") == "allowed");
    BOOST_TEST(reason(g, "127.0.0.1:6680", "https://app.example.evil") == "origin");
    BOOST_TEST(reason(g, "127.0.0.1:6680", "http://app.example") == "origin");
    sio::request_guard any{{"127.0.0.1"}, {"*"}};
    BOOST_TEST(reason(any, "127.0.0.1:6680", "http://evil.example") == "allowed");
    // Host comes first: an allowed origin does not excuse a foreign name.
    BOOST_TEST(reason(any, "evil.example", "http://evil.example") == "host");
}

BOOST_AUTO_TEST_CASE(the_refusal_body_is_an_engine_io_error_naming_the_header) {
    auto r = loopback.check("127.0.0.1:6680", R"(http://e"vil\.example)");
    BOOST_TEST_REQUIRE(r.has_value());
    auto body = boost::json::parse(r->body).as_object();
    BOOST_TEST(body.at("code").as_int64() == 4);
    BOOST_TEST(std::string(body.at("message").as_string()) ==
               R"(Forbidden: Origin 'http://e"vil\.example' is not allowed (docs/security.md))");
    auto h = loopback.check("evil.example:1", "");
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(std::string(boost::json::parse(h->body).at("message").as_string()) ==
               "Forbidden: Host 'evil.example:1' is not allowed (docs/security.md)");
}

BOOST_AUTO_TEST_SUITE_END()
