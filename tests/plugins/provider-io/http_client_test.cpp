// provider-io's http_client against scripted servers on 127.0.0.1 (test_http_server.hpp):
// the exact request sent and response received, keep-alive reuse, streaming, each timeout,
// refused and dropped connections, the body cap, cancel and close, the address guard, and TLS
// with a self-signed certificate made by the openssl command.

#include "http_client.hpp"
#include "io_thread.hpp"
#include "test_http_server.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace pio = gleitzeit::provider_io;
using provider_io_test::session;
using provider_io_test::test_server;

namespace {

struct outcome {
    std::optional<pio::http_error> error;
    pio::http_response response;
    std::vector<std::string> chunks;
};

/// A client on its own io thread, and calls that wait for their done (10 s at most).
struct client_fixture {
    explicit client_fixture(pio::tls_options tls = {}) : client(io.context(), std::move(tls)) {}
    ~client_fixture() {
        client.close();
        io.stop();
    }

    pio::http_request get(const std::string& url) {
        pio::http_request r;
        r.url = url;
        return r;
    }

    /// Starts a call; the future is ready with its outcome once done ran.
    std::future<outcome> start(pio::http_request req, bool stream = false,
                               pio::http_client::call_id* id = nullptr,
                               std::function<bool(std::string_view)> on_chunk = nullptr) {
        auto result = std::make_shared<outcome>();
        auto promise = std::make_shared<std::promise<outcome>>();
        pio::http_client::chunk_fn chunks;
        if (stream)
            chunks = [result, on_chunk](std::string_view bytes) {
                result->chunks.emplace_back(bytes);
                return on_chunk ? on_chunk(bytes) : true;
            };
        const auto call = client.request(
            std::move(req), chunks,
            [result, promise](std::optional<pio::http_error> e, pio::http_response r) {
                result->error = std::move(e);
                result->response = std::move(r);
                promise->set_value(std::move(*result));
            });
        if (id)
            *id = call;
        return promise->get_future();
    }

    outcome call(pio::http_request req, bool stream = false) {
        auto f = start(std::move(req), stream);
        BOOST_TEST_REQUIRE((f.wait_for(10s) == std::future_status::ready));
        return f.get();
    }

    pio::io_thread io;
    pio::http_client client;
};

std::string text_response(const std::string& body, const std::string& extra = "") {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
           "\r\n" + body;
}

void check_failure(const outcome& o, pio::http_failure kind, const std::string& message,
                   bool retryable) {
    BOOST_TEST_REQUIRE(o.error.has_value());
    BOOST_TEST(pio::to_string(o.error->kind) == pio::to_string(kind));
    BOOST_TEST(o.error->message == message);
    BOOST_TEST(o.error->retryable == retryable);
}

std::string at(const test_server& s) {
    return "127.0.0.1:" + std::to_string(s.port());
}

/// Serves every request on the connection with `reply`, until the client closes it.
test_server::session_fn serve_each(std::string reply) {
    return [reply](session& s) {
        while (!s.read_request().empty())
            s.write(reply);
    };
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_io)

BOOST_AUTO_TEST_CASE(http_client_sends_the_request_and_returns_status_headers_body_exactly) {
    std::mutex m;
    std::string seen;
    test_server server([&](session& s) {
        std::string r = s.read_request();
        {
            std::lock_guard lock(m);
            seen = r;
        }
        s.write("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-Thing: a b\r\n"
                "Content-Length: 5\r\n\r\nhello");
        s.wait_for_close();
    });
    client_fixture f;
    pio::http_request req;
    req.method = "POST";
    req.url = server.url("/p/q?x=1&y=%20#frag");
    req.headers = {{"X-Api", "k1"}, {"Content-Type", "text/plain"}};
    req.body = "abc";
    outcome o = f.call(req);
    BOOST_TEST_REQUIRE(!o.error.has_value());
    BOOST_TEST(o.response.status == 201u);
    const pio::header_list expected{
        {"Content-Type", "text/plain"}, {"X-Thing", "a b"}, {"Content-Length", "5"}};
    BOOST_TEST((o.response.headers == expected));
    BOOST_TEST(o.response.body == "hello");
    BOOST_TEST_REQUIRE(o.response.header("x-thing") != nullptr);
    BOOST_TEST(*o.response.header("x-thing") == "a b");
    BOOST_TEST(o.response.header("x-absent") == nullptr);
    std::lock_guard lock(m);
    BOOST_TEST(seen == "POST /p/q?x=1&y=%20 HTTP/1.1\r\nX-Api: k1\r\nContent-Type: text/plain\r\n"
                       "Host: " + at(server) + "\r\nContent-Length: 3\r\n\r\nabc");
}

BOOST_AUTO_TEST_CASE(http_client_reuses_a_kept_alive_connection) {
    test_server server(serve_each(text_response("same")));
    client_fixture f;
    outcome first = f.call(f.get(server.url("/1")));
    outcome second = f.call(f.get(server.url("/2")));
    BOOST_TEST(!first.error.has_value());
    BOOST_TEST(!second.error.has_value());
    BOOST_TEST(second.response.body == "same");
    BOOST_TEST(server.accepted() == 1);
    BOOST_TEST(f.client.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(http_client_does_not_keep_a_connection_the_server_closes) {
    test_server server([](session& s) {
        s.read_request();
        s.write(text_response("bye", "Connection: close\r\n"));
        s.close();
    });
    client_fixture f;
    outcome first = f.call(f.get(server.url()));
    outcome second = f.call(f.get(server.url()));
    BOOST_TEST(first.response.body == "bye");
    BOOST_TEST(second.response.body == "bye");
    BOOST_TEST(server.accepted() == 2);
    BOOST_TEST(f.client.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(http_client_drops_a_pooled_connection_the_server_closed_while_idle) {
    std::atomic<int> sessions{0};
    test_server server([&](session& s) {
        const int n = ++sessions;
        s.read_request();
        s.write(text_response("r" + std::to_string(n)));
        s.close(); // after a keep-alive response: the client learns of it only by looking
    });
    client_fixture f;
    outcome first = f.call(f.get(server.url()));
    BOOST_TEST(f.client.idle_connections() == 1u);
    std::this_thread::sleep_for(100ms); // the FIN arrives while the connection is idle
    outcome second = f.call(f.get(server.url()));
    BOOST_TEST(first.response.body == "r1");
    BOOST_TEST_REQUIRE(!second.error.has_value());
    BOOST_TEST(second.response.body == "r2");
    BOOST_TEST(server.accepted() == 2);
}

BOOST_AUTO_TEST_CASE(http_client_retries_once_on_a_fresh_connection_when_a_pooled_one_died) {
    // The first connection answers one request, then drops the next without a byte: the
    // client must send it again on a new connection, which answers.
    std::atomic<int> sessions{0};
    test_server server([&](session& s) {
        const int n = ++sessions;
        s.read_request();
        s.write(text_response("r" + std::to_string(n)));
        if (n == 1) {
            s.read_request();
            s.close();
            return;
        }
        s.wait_for_close();
    });
    client_fixture f;
    outcome first = f.call(f.get(server.url()));
    outcome second = f.call(f.get(server.url()));
    BOOST_TEST(first.response.body == "r1");
    BOOST_TEST_REQUIRE(!second.error.has_value());
    BOOST_TEST(second.response.body == "r2");
    BOOST_TEST(server.accepted() == 2);
}

BOOST_AUTO_TEST_CASE(http_client_does_not_retry_when_part_of_the_response_came) {
    std::atomic<int> sessions{0};
    test_server server([&](session& s) {
        ++sessions;
        s.read_request();
        s.write(text_response("r1"));
        s.read_request();
        s.write("HTTP/1.1 200 OK\r\nContent-Le");
        s.close();
    });
    client_fixture f;
    f.call(f.get(server.url()));
    outcome second = f.call(f.get(server.url()));
    check_failure(second, pio::http_failure::protocol,
                  at(server) + ": bad response header: partial message", true);
    BOOST_TEST(server.accepted() == 1);
}

BOOST_AUTO_TEST_CASE(http_client_streams_chunks_before_the_body_ends) {
    std::promise<void> first_seen;
    auto first_seen_future = first_seen.get_future();
    std::atomic<bool> streamed{false};
    test_server server([&](session& s) {
        s.read_request();
        s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n");
        // The rest only after the client has handed out the first chunk.
        streamed = first_seen_future.wait_for(5s) == std::future_status::ready;
        s.write("3\r\ntwo\r\n0\r\n\r\n");
        s.wait_for_close();
    });
    client_fixture f;
    bool signalled = false;
    auto done = f.start(f.get(server.url()), true, nullptr, [&](std::string_view bytes) {
        if (!signalled && bytes == "one") {
            signalled = true;
            first_seen.set_value();
        }
        return true;
    });
    BOOST_TEST_REQUIRE((done.wait_for(10s) == std::future_status::ready));
    outcome o = done.get();
    BOOST_TEST(!o.error.has_value());
    BOOST_TEST(streamed.load());
    BOOST_TEST((o.chunks == std::vector<std::string>{"one", "two"}));
    BOOST_TEST(o.response.body == ""); // streamed, not collected
}

BOOST_AUTO_TEST_CASE(http_client_first_byte_timeout) {
    test_server server([](session& s) {
        s.read_request();
        s.wait_for_close();
    });
    client_fixture f;
    auto req = f.get(server.url());
    req.first_byte_timeout = 200ms;
    const auto t0 = std::chrono::steady_clock::now();
    outcome o = f.call(req);
    const auto took = std::chrono::steady_clock::now() - t0;
    check_failure(o, pio::http_failure::first_byte_timeout,
                  at(server) + ": no response within 200 ms", true);
    BOOST_TEST((took >= 200ms && took < 3s));
}

BOOST_AUTO_TEST_CASE(http_client_total_timeout_during_a_slow_body) {
    test_server server([&server](session& s) {
        s.read_request();
        s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        while (!server.stopping() && s.write("1\r\nx\r\n"))
            std::this_thread::sleep_for(20ms);
    });
    client_fixture f;
    auto req = f.get(server.url());
    req.total_timeout = 300ms;
    outcome o = f.call(req);
    check_failure(o, pio::http_failure::total_timeout,
                  at(server) + ": call not finished within 300 ms", true);
}

BOOST_AUTO_TEST_CASE(http_client_connection_refused_is_retryable) {
    std::uint16_t port;
    {
        boost::asio::io_context io;
        provider_io_test::tcp::acceptor a(
            io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    } // closed: nothing listens there now
    client_fixture f;
    outcome o = f.call(f.get("http://127.0.0.1:" + std::to_string(port) + "/"));
    check_failure(o, pio::http_failure::connect,
                  "127.0.0.1:" + std::to_string(port) + ": connect failed: Connection refused",
                  true);
}

BOOST_AUTO_TEST_CASE(http_client_connection_dropped_mid_body_is_a_protocol_failure) {
    test_server server([](session& s) {
        s.read_request();
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
        s.close();
    });
    client_fixture f;
    outcome o = f.call(f.get(server.url()));
    check_failure(o, pio::http_failure::protocol,
                  at(server) + ": connection dropped mid-response: partial message", true);
}

BOOST_AUTO_TEST_CASE(http_client_body_over_max_body_fails_and_is_not_retryable) {
    // Declared too large up front, and found too large while reading a chunked body.
    test_server declared(serve_each(text_response(std::string(101, 'x'))));
    test_server chunked([&chunked](session& s) {
        s.read_request();
        s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        while (!chunked.stopping() && s.write("20\r\n" + std::string(32, 'y') + "\r\n"))
            std::this_thread::sleep_for(1ms);
    });
    client_fixture f;
    for (test_server* s : {&declared, &chunked}) {
        auto req = f.get(s->url());
        req.max_body = 100;
        outcome o = f.call(req);
        check_failure(o, pio::http_failure::body_too_large,
                      at(*s) + ": response body over max_body (100 bytes)", false);
    }
    // Exactly max_body is allowed.
    test_server exact(serve_each(text_response(std::string(100, 'z'))));
    auto req = f.get(exact.url());
    req.max_body = 100;
    BOOST_TEST(f.call(req).response.body == std::string(100, 'z'));
}

BOOST_AUTO_TEST_CASE(http_client_cancel_ends_a_call_with_cancelled) {
    test_server server([](session& s) {
        s.read_request();
        s.wait_for_close();
    });
    client_fixture f;
    pio::http_client::call_id id = 0;
    auto done = f.start(f.get(server.url()), false, &id);
    while (server.accepted() == 0)
        std::this_thread::sleep_for(5ms);
    f.client.cancel(id);
    BOOST_TEST_REQUIRE((done.wait_for(5s) == std::future_status::ready));
    check_failure(done.get(), pio::http_failure::cancelled, at(server) + ": cancelled", false);
    f.client.cancel(id); // a second cancel of a finished call does nothing
}

BOOST_AUTO_TEST_CASE(http_client_on_chunk_returning_false_cancels) {
    test_server server([&server](session& s) {
        s.read_request();
        s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        while (!server.stopping() && s.write("2\r\nab\r\n"))
            std::this_thread::sleep_for(10ms);
    });
    client_fixture f;
    auto done = f.start(f.get(server.url()), true, nullptr,
                        [](std::string_view) { return false; });
    BOOST_TEST_REQUIRE((done.wait_for(5s) == std::future_status::ready));
    outcome o = done.get();
    check_failure(o, pio::http_failure::cancelled, at(server) + ": cancelled", false);
    BOOST_TEST(o.chunks.size() == 1u);
}

BOOST_AUTO_TEST_CASE(http_client_close_cancels_open_calls_and_refuses_new_ones) {
    test_server server([](session& s) {
        s.read_request();
        s.wait_for_close();
    });
    client_fixture f;
    auto open = f.start(f.get(server.url()));
    while (server.accepted() == 0)
        std::this_thread::sleep_for(5ms);
    f.client.close();
    BOOST_TEST_REQUIRE((open.wait_for(5s) == std::future_status::ready));
    check_failure(open.get(), pio::http_failure::cancelled, at(server) + ": cancelled", false);
    check_failure(f.call(f.get(server.url())), pio::http_failure::cancelled,
                  "cancelled: the client is closed", false);
}

BOOST_AUTO_TEST_CASE(http_client_check_address_refuses_after_resolving) {
    test_server server(serve_each(text_response("no")));
    client_fixture f;
    std::mutex m;
    std::vector<std::string> checked;
    auto req = f.get("http://localhost:" + std::to_string(server.port()) + "/");
    req.check_address = [&](const std::string& address, std::uint16_t port) {
        std::lock_guard lock(m);
        checked.push_back(address + " " + std::to_string(port));
        return std::string("loopback is not allowed");
    };
    outcome o = f.call(req);
    BOOST_TEST_REQUIRE(o.error.has_value());
    BOOST_TEST(pio::to_string(o.error->kind) == "refused_address");
    BOOST_TEST(o.error->retryable == false);
    {
        std::lock_guard lock(m);
        // localhost resolved before the check: its address is what was refused.
        BOOST_TEST((std::find(checked.begin(), checked.end(),
                              "127.0.0.1 " + std::to_string(server.port())) != checked.end()));
        BOOST_TEST(o.error->message == "localhost:" + std::to_string(server.port()) +
                                           ": address " + checked.front().substr(0, checked.front().find(' ')) +
                                           " refused: loopback is not allowed");
    }
    BOOST_TEST(server.accepted() == 0);

    // An address the guard lets through is called.
    auto allowed = f.get(server.url());
    allowed.check_address = [](const std::string&, std::uint16_t) { return std::string(); };
    BOOST_TEST(f.call(allowed).response.body == "no");
}

BOOST_AUTO_TEST_CASE(http_client_head_response_has_no_body) {
    test_server server(serve_each("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"));
    client_fixture f;
    auto req = f.get(server.url());
    req.method = "HEAD";
    outcome o = f.call(req);
    BOOST_TEST(!o.error.has_value());
    BOOST_TEST(o.response.status == 200u);
    BOOST_TEST(o.response.body == "");
    BOOST_TEST(f.client.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(http_client_bad_url_and_bad_header_fail_before_connecting) {
    client_fixture f;
    check_failure(f.call(f.get("ftp://example.org/")), pio::http_failure::bad_url,
                  "bad URL 'ftp://example.org/': not an http:// or https:// URL", false);
    auto req = f.get("http://127.0.0.1:1/");
    req.headers = {{"X-Evil", "a\r\nInjected: yes"}};
    check_failure(f.call(req), pio::http_failure::bad_url,
                  "127.0.0.1:1: bad request header 'X-Evil'", false);
}

BOOST_AUTO_TEST_SUITE_END()
