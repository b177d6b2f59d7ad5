// provider-http on a test host (../provider-echo/provider_echo_test_host.hpp) against scripted
// servers on 127.0.0.1 (../provider-io/test_http_server.hpp): results and failures exactly as
// a task sees them, the allow list and the address guard, redirects, cancel and stop.

#include "provider_http.hpp"

#include "../provider-echo/provider_echo_test_host.hpp"
#include "../provider-io/test_http_server.hpp"

#include "gleitzeit/error.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace json = boost::json;
using gleitzeit::task_result;
using provider_io_test::session;
using provider_io_test::test_server;
using namespace std::chrono_literals;

namespace {

struct http_fixture {
    explicit http_fixture(const std::string& config)
        : provider(std::make_unique<gleitzeit::provider_http>(json::parse(config).as_object())) {
        provider->start(host);
    }
    ~http_fixture() {
        if (provider)
            provider->stop();
    }

    void call(const std::string& task_id, const std::string& params) {
        inside_call = true;
        provider->execute({task_id, "http/v1", "request", json::parse(params).as_object(), 30000ms},
                          [this](task_result r) {
                              reentered.push_back(inside_call);
                              results.push_back(std::move(r));
                          });
        inside_call = false;
    }

    /// Runs the host's loop until `n` results are in (10 s at most).
    void wait_for(std::size_t n) {
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (results.size() < n && std::chrono::steady_clock::now() < until) {
            io.restart();
            io.run_for(5ms);
        }
        BOOST_TEST_REQUIRE(results.size() >= n);
    }

    boost::asio::io_context io;
    // The provider's completions arrive from its own thread; until then the loop has no work.
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
    provider_echo_test::test_host host{io};
    std::unique_ptr<gleitzeit::provider_http> provider;
    std::vector<task_result> results;
    std::vector<bool> reentered;
    bool inside_call = false;
};

void check_error(const task_result& r, const std::string& task_id, const std::string& code,
                 const std::string& message, bool retryable) {
    BOOST_TEST(r.task_id == task_id);
    BOOST_TEST(r.provider == "provider-http");
    BOOST_TEST(!r.result.has_value());
    BOOST_TEST_REQUIRE(r.error.has_value());
    BOOST_TEST(gleitzeit::to_string(r.error->code) == code);
    BOOST_TEST(r.error->message == message);
    BOOST_TEST(r.error->retryable == retryable);
}

std::string reply(unsigned status, const std::string& extra, const std::string& body) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

/// Answers each request with `answer(request line)`, keeping the connection.
test_server::session_fn serve(std::function<std::string(const std::string&)> answer) {
    return [answer](session& s) {
        for (std::string r; !(r = s.read_request()).empty();)
            s.write(answer(r.substr(0, r.find("\r\n"))));
    };
}

std::string local(const test_server& s, const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(s.port()) + path;
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_http)

BOOST_AUTO_TEST_CASE(request_returns_status_headers_and_parsed_json) {
    std::mutex m;
    std::string seen;
    test_server server([&](session& s) {
        const std::string r = s.read_request();
        {
            std::lock_guard lock(m);
            seen = r;
        }
        s.write(reply(200, "Content-Type: application/json\r\n", R"({"ok":true,"n":[1,2]})"));
        s.wait_for_close();
    });
    http_fixture f(R"({"allow":["127.0.0.1"]})");
    f.call("t1", R"({"url":")" + local(server, "/api") + R"(","query":{"q":"a b"},
                     "method":"POST","json":{"x":1},"headers":{"X-Key":"k"}})");
    BOOST_TEST(f.results.empty()); // never inside execute()
    f.wait_for(1);
    const task_result& r = f.results[0];
    BOOST_TEST(r.task_id == "t1");
    BOOST_TEST(r.provider == "provider-http");
    BOOST_TEST_REQUIRE(r.result.has_value());
    BOOST_TEST(json::serialize(*r.result) ==
               R"({"status":200,"url":")" + local(server, "/api?q=a%20b") +
                   R"(","headers":{"content-length":"21","content-type":"application/json"},"json":{"ok":true,"n":[1,2]}})");
    std::lock_guard lock(m);
    BOOST_TEST(seen == "POST /api?q=a%20b HTTP/1.1\r\nX-Key: k\r\nContent-Type: application/json\r\n"
                       "User-Agent: gleitzeit-provider-http/1.0\r\nHost: 127.0.0.1:" +
                           std::to_string(server.port()) + "\r\nContent-Length: 7\r\n\r\n{\"x\":1}");
}

BOOST_AUTO_TEST_CASE(a_host_off_the_allow_list_is_refused_without_a_connection) {
    test_server server(serve([](const std::string&) { return reply(200, "", "no"); }));
    http_fixture f(R"({"allow":["example.org"]})");
    f.call("t1", R"({"url":")" + local(server, "/x?key=secret") + R"("})");
    BOOST_TEST(f.results.empty());
    f.wait_for(1);
    check_error(f.results[0], "t1", "provider_error", local(server, "/x") + " is not on the allow list", false);
    BOOST_TEST(server.accepted() == 0);
}

BOOST_AUTO_TEST_CASE(a_wildcard_does_not_open_loopback_addresses) {
    test_server server(serve([](const std::string&) { return reply(200, "", "no"); }));
    http_fixture f(R"({"allow":["*"]})");
    f.call("t1", R"({"url":")" + local(server, "/") + R"("})");
    f.wait_for(1);
    check_error(f.results[0], "t1", "provider_error",
                "127.0.0.1:" + std::to_string(server.port()) +
                    ": address 127.0.0.1 refused: a loopback address is allowed only when its "
                    "host or address is on the allow list",
                false);
    BOOST_TEST(server.accepted() == 0);
}

BOOST_AUTO_TEST_CASE(redirects_are_followed_within_the_list) {
    test_server server(serve([](const std::string& line) {
        if (line.rfind("POST /start ", 0) == 0)
            return reply(303, "Location: /middle?x=1\r\n", "");
        if (line.rfind("GET /middle?x=1 ", 0) == 0)
            return reply(307, "Location: end\r\n", "");
        if (line.rfind("GET /end ", 0) == 0)
            return reply(200, "Content-Type: text/plain\r\n", "arrived");
        return reply(500, "", line);
    }));
    http_fixture f(R"({"allow":["127.0.0.1"]})");
    f.call("t1", R"({"method":"POST","body":"b","url":")" + local(server, "/start") + R"("})");
    f.wait_for(1);
    BOOST_TEST_REQUIRE(f.results[0].result.has_value());
    const json::object& o = f.results[0].result->as_object();
    BOOST_TEST(o.at("url").as_string() == local(server, "/end"));
    BOOST_TEST(o.at("body").as_string() == "arrived");
    BOOST_TEST(f.host.gauges["redirects_total"] == 2);
}

BOOST_AUTO_TEST_CASE(a_redirect_out_of_the_list_is_refused) {
    test_server outside(serve([](const std::string&) { return reply(200, "", "leak"); }));
    const std::string target = local(outside, "/x?token=1");
    test_server start(serve([&](const std::string&) { return reply(302, "Location: " + target + "\r\n", ""); }));
    http_fixture f(R"({"allow":["127.0.0.1:)" + std::to_string(start.port()) + R"("]})");
    f.call("t1", R"({"url":")" + local(start, "/go") + R"("})");
    f.wait_for(1);
    check_error(f.results[0], "t1", "provider_error",
                "redirect from " + local(start, "/go") + " to " + local(outside, "/x") +
                    " refused: not on the allow list",
                false);
    BOOST_TEST(outside.accepted() == 0);
}

BOOST_AUTO_TEST_CASE(too_many_redirects_fail) {
    std::atomic<int> requests{0};
    test_server server(serve([&](const std::string&) {
        ++requests;
        return reply(301, "Location: /again\r\n", "");
    }));
    http_fixture f(R"({"allow":["127.0.0.1"],"max_redirects":2})");
    f.call("t1", R"({"url":")" + local(server, "/") + R"("})");
    f.wait_for(1);
    check_error(f.results[0], "t1", "provider_error",
                "too many redirects: more than max_redirects (2) from " + local(server, "/again"), false);
    BOOST_TEST(requests.load() == 3);
}

BOOST_AUTO_TEST_CASE(statuses_outside_2xx_fail_retryable_or_not) {
    test_server server(serve([](const std::string& line) {
        return line.rfind("GET /busy", 0) == 0 ? reply(503, "", "later") : reply(404, "", "");
    }));
    http_fixture f(R"({"allow":["127.0.0.1"]})");
    f.call("busy", R"({"url":")" + local(server, "/busy?k=s") + R"("})");
    f.wait_for(1);
    f.call("gone", R"({"url":")" + local(server, "/gone") + R"("})");
    f.wait_for(2);
    check_error(f.results[0], "busy", "provider_error",
                "HTTP 503 Service Unavailable from GET " + local(server, "/busy") + ": later", true);
    check_error(f.results[1], "gone", "provider_error", "HTTP 404 Not Found from GET " + local(server, "/gone"), false);
}

BOOST_AUTO_TEST_CASE(a_body_over_max_body_fails_clearly) {
    test_server server(serve([](const std::string&) { return reply(200, "", std::string(11, 'x')); }));
    http_fixture f(R"({"allow":["127.0.0.1"],"max_body":10})");
    f.call("t1", R"({"url":")" + local(server, "/") + R"("})");
    f.wait_for(1);
    check_error(f.results[0], "t1", "provider_error",
                "127.0.0.1:" + std::to_string(server.port()) + ": response body over max_body (10 bytes)", false);
}

BOOST_AUTO_TEST_CASE(the_timeout_param_ends_a_slow_call) {
    test_server server([](session& s) {
        s.read_request();
        s.wait_for_close();
    });
    http_fixture f(R"({"allow":["127.0.0.1"]})");
    f.call("t1", R"({"url":")" + local(server, "/") + R"(","timeout":0.2})");
    f.wait_for(1);
    check_error(f.results[0], "t1", "timeout",
                "GET " + local(server, "/") + " not finished within the timeout of 200 ms", true);
}

BOOST_AUTO_TEST_CASE(cancel_aborts_the_request_and_done_says_cancelled) {
    std::atomic<bool> closed{false};
    test_server server([&](session& s) {
        s.read_request();
        closed = s.wait_for_close();
    });
    http_fixture f(R"({"allow":["127.0.0.1"]})");
    f.call("t1", R"({"url":")" + local(server, "/") + R"("})");
    while (server.accepted() == 0)
        std::this_thread::sleep_for(5ms);
    f.provider->cancel("t1");
    BOOST_TEST(f.results.empty()); // not inside cancel()
    f.wait_for(1);
    check_error(f.results[0], "t1", "cancelled", "cancelled", false);
    BOOST_TEST(f.provider->running() == 0u);
    for (int i = 0; i < 200 && !closed; ++i)
        std::this_thread::sleep_for(10ms);
    BOOST_TEST(closed.load()); // the server saw the connection go
}

BOOST_AUTO_TEST_CASE(stop_delivers_open_calls_as_cancelled_at_once) {
    test_server server([](session& s) {
        s.read_request();
        s.wait_for_close();
    });
    http_fixture f(R"({"allow":["127.0.0.1"]})");
    f.call("slow", R"({"url":")" + local(server, "/") + R"("})");
    f.call("bad", R"({"url":")" + local(server, "/") + R"(","method":"FOO"})");
    while (server.accepted() == 0)
        std::this_thread::sleep_for(5ms);
    f.provider->stop();
    BOOST_TEST_REQUIRE(f.results.size() == 2u); // synchronously, in stop()
    for (const task_result& r : f.results) {
        if (r.task_id == "slow")
            check_error(r, "slow", "cancelled", "cancelled: provider-http is stopping", false);
        else
            check_error(r, "bad", "invalid_argument",
                        "request: params.method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, got 'FOO'",
                        false);
    }
    f.call("late", R"({"url":")" + local(server, "/") + R"("})");
    BOOST_TEST_REQUIRE(f.results.size() == 3u);
    check_error(f.results[2], "late", "cancelled", "provider-http is stopped", false);
}

BOOST_AUTO_TEST_CASE(unknown_methods_and_protocols_are_refused) {
    http_fixture f(R"({"allow":["127.0.0.1"]})");
    f.provider->execute({"t1", "http/v1", "fetch", {}, 30000ms},
                        [&](task_result r) { f.results.push_back(std::move(r)); });
    f.wait_for(1);
    check_error(f.results[0], "t1", "not_found", "http/v1 has no method 'fetch'", false);
}

BOOST_AUTO_TEST_CASE(a_url_the_client_cannot_call_is_refused_as_a_bad_param) {
    http_fixture f(R"({"allow":["*"]})");
    f.call("t1", R"({"url":"http://user:secret@h.example/"})");
    f.call("t2", R"({"url":"http://h.example:99999/"})");
    f.wait_for(2);
    check_error(f.results[0], "t1", "invalid_argument",
                "request: params.url: user info in the URL is not supported", false);
    check_error(f.results[1], "t2", "invalid_argument", "request: params.url: port out of range", false);
    BOOST_TEST(f.reentered == (std::vector<bool>{false, false}));
}

BOOST_AUTO_TEST_CASE(constructor_refuses_bad_config_naming_the_key) {
    BOOST_CHECK_EXCEPTION(gleitzeit::provider_http(json::parse(R"({"allow":["a"],"retries":1})").as_object()),
                          gleitzeit::error, [](const gleitzeit::error& e) {
                              return e.code() == gleitzeit::error_code::invalid_argument &&
                                     std::string(e.what()) == "provider-http: unknown config key 'retries'";
                          });
}

BOOST_AUTO_TEST_SUITE_END()
