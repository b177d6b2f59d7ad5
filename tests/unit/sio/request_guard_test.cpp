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

// Each row: the guard, the Host and Origin headers, the verdict ("allowed", "host" or
// "origin") and why.
BOOST_AUTO_TEST_CASE(verdicts) {
    const sio::request_guard any_host{{"*"}, {}};
    const sio::request_guard listed{{"127.0.0.1"},
                                    {"https://app.example", "HTTP://Other.example:8080"}};
    const sio::request_guard any_origin{{"127.0.0.1"}, {"*"}};
    struct row {
        const sio::request_guard& guard;
        std::string_view host, origin, verdict, why;
    };
    const row rows[] = {
        {loopback, "127.0.0.1:6680", "", "allowed", "a listed address, no Origin: a program"},
        {loopback, "localhost:6680", "", "allowed", "a listed name"},
        {loopback, "[::1]:6680", "", "allowed", "IPv6 in brackets"},
        {loopback, "LOCALHOST", "", "allowed", "names compare without case"},
        {loopback, "evil.example:6680", "", "host", "a rebound name still names itself"},
        {loopback, "localhost.evil.example", "", "host", "a prefix is not the name"},
        {loopback, "127.0.0.2:6680", "", "host", "another loopback address is not listed"},
        {loopback, "", "", "allowed", "no Host at all (HTTP/1.0) is no browser"},
        {any_host, "anything.example", "", "allowed", "* allows any name"},
        {loopback, "127.0.0.1:6680", "http://127.0.0.1:6680", "allowed", "the server's own page"},
        {loopback, "localhost:6680", "https://LOCALHOST:6680/", "allowed", "own, any case, TLS"},
        {loopback, "127.0.0.1:6680", "http://127.0.0.1:8000", "origin", "another port"},
        {loopback, "127.0.0.1:6680", "http://localhost:6680", "origin", "another name"},
        {loopback, "127.0.0.1:6680", "http://evil.example", "origin", "a foreign page"},
        {loopback, "127.0.0.1:6680", "null", "origin", "sandboxed frames and file: pages"},
        {listed, "127.0.0.1:6680", "https://app.example", "allowed", "a listed origin"},
        {listed, "127.0.0.1:6680", "http://other.example:8080", "allowed", "listed, any case"},
        {listed, "127.0.0.1:6680", "https://app.example.evil", "origin", "a prefix of a listed"},
        {listed, "127.0.0.1:6680", "http://app.example", "origin", "listed, another scheme"},
        {any_origin, "127.0.0.1:6680", "http://evil.example", "allowed", "* allows any origin"},
        {any_origin, "evil.example", "http://evil.example", "host", "Host comes first"},
    };
    for (const auto& r : rows)
        BOOST_TEST(reason(r.guard, r.host, r.origin) == r.verdict,
                   r.why << ": Host '" << r.host << "', Origin '" << r.origin << "'");
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

// The body is JSON whatever bytes the headers hold: control characters and bytes of 0x80 and
// above (which need not be UTF-8, and JSON text must be) are written as '?'.
BOOST_AUTO_TEST_CASE(the_refusal_body_is_json_for_any_bytes) {
    auto h = loopback.check("evil.example\xff\xfe\x01:6680", "");
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(std::string(boost::json::parse(h->body).at("message").as_string()) ==
               "Forbidden: Host 'evil.example???:6680' is not allowed (docs/security.md)");
    // Even valid UTF-8: a header is not decoded, so it is not passed on as text either.
    auto o = loopback.check("127.0.0.1", "http://\xc3\xa9vil.example\x7f");
    BOOST_TEST_REQUIRE(o.has_value());
    BOOST_TEST(std::string(boost::json::parse(o->body).at("message").as_string()) ==
               "Forbidden: Origin 'http://??vil.example\x7f' is not allowed (docs/security.md)");
}

BOOST_AUTO_TEST_SUITE_END()
