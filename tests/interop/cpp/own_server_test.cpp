// sio::client against our own servers: the protocol fixture (tests/fixtures/sio-testserver,
// whose 300 ms heartbeat also tests the client's pong) and gleitzeitd (its `echo` event,
// its token check, its /health session count).
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

#include <boost/json/parse.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace interop;
using K = sio::client_event::kind;
using ack_fn = sio::namespace_handle::ack_fn;

namespace {

const char* tokens_toml = "[[auth.tokens]]\ntoken = \"secret\"\nroles = [\"submit\"]\n";

sio::message binary_sample() {
    sio::message m;
    m.attachments = {bytes(4, 0), bytes(70000, 7), bytes(256, 3)};
    m.args = json::array{
        json::object{{"a", sio::placeholder(0)}, {"inner", json::array{sio::placeholder(1)}}},
        "tail", json::array{sio::placeholder(2), json::object{{"text", "grüße 🚀"}}}};
    return m;
}

/// The body of GET `target` on 127.0.0.1:`port` (plain HTTP, bounded by a 3 s timeout).
std::string http_get(std::uint16_t port, const std::string& target) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{3, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        std::string req =
            "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
            char buf[4096];
            ssize_t n;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
                out.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    auto body = out.find("\r\n\r\n");
    return body == std::string::npos ? std::string() : out.substr(body + 4);
}

/// gleitzeitd's count of open Engine.IO sessions, from /health.
long long sessions(std::uint16_t port) {
    auto v = json::parse(http_get(port, "/health"));
    return v.at("connections").to_number<long long>();
}

/// Waits for the upgrade when the options start on polling.
void maybe_wait_upgrade(client_handle h, bool websocket_only) {
    if (!websocket_only)
        BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::upgrade), "no upgrade\n" << h.rec.describe());
}

} // namespace

BOOST_AUTO_TEST_SUITE(own_servers)

BOOST_AUTO_TEST_CASE(fixture_echo_with_binary) {
    for (bool ws : {true, false}) {
        BOOST_TEST_CONTEXT((ws ? "websocket only" : "polling with upgrade")) {
            session t(start_fixture());
            auto o = ws ? transports({"websocket"}) : transports({"polling", "websocket"});
            auto h = t.client(o);
            auto& s = h.c.of("/", json::object{{"who", "cpp"}});
            h.rec.listen(s, "auth");
            h.rec.listen(s, "message-back");
            s.on("bin-question", [](sio::message& m, const ack_fn& ack) {
                if (ack)
                    ack(std::move(m)); // answers with what it was asked
            });
            h.c.open();
            BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/"), h.rec.describe());
            maybe_wait_upgrade(h, ws);
            BOOST_REQUIRE(h.rec.wait_event("/", "auth"));
            CHECK_JSON_EQ(h.rec.events_of("/", "auth").at(0).args,
                          (json::array{json::object{{"who", "cpp"}}}));

            // Idle through several 300 ms ping intervals: the client's pongs keep it open.
            std::this_thread::sleep_for(1200ms);
            BOOST_CHECK_MESSAGE(h.rec.statuses_of(K::close).empty(), h.rec.describe());

            auto sample = binary_sample();
            s.emit("message", sample);
            BOOST_REQUIRE(h.rec.wait_event("/", "message-back"));
            CHECK_JSON_EQ(resolved(h.rec.events_of("/", "message-back").at(0)), resolved(sample));
            auto r = ask(s, "message-with-ack", sample);
            BOOST_REQUIRE(r);
            CHECK_JSON_EQ(resolved(*r), resolved(sample));

            auto q = sample;
            q.args.insert(q.args.begin(), json::string("bin-question"));
            r = ask(s, "server-ask", q);
            BOOST_REQUIRE(r);
            CHECK_JSON_EQ(resolved(*r), resolved(sample));

            h.c.close();
            BOOST_REQUIRE(h.rec.wait_status(K::close));
            BOOST_CHECK_EQUAL(h.rec.statuses_of(K::close).at(0).reason, "io client disconnect");
            BOOST_CHECK_MESSAGE(t.server->stop_clean(), "sio-testserver did not exit cleanly");
        }
    }
}

BOOST_AUTO_TEST_CASE(gleitzeitd_echo_with_binary) {
    for (bool ws : {true, false}) {
        BOOST_TEST_CONTEXT((ws ? "websocket only" : "polling with upgrade")) {
            session t(start_gleitzeitd(""));
            auto h =
                t.client(ws ? transports({"websocket"}) : transports({"polling", "websocket"}));
            auto& s = h.c.of("/");
            h.c.open();
            BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/"), h.rec.describe());
            maybe_wait_upgrade(h, ws);
            auto payload =
                json::parse(R"({"text":"grüße 🚀","list":[1,2.5,null,true],"nested":{"a":[]}})");
            auto r = ask(s, "echo", {json::array{payload}, {}});
            BOOST_REQUIRE(r);
            CHECK_JSON_EQ(r->args, json::array{payload});
            auto sample = binary_sample();
            r = ask(s, "echo", sample);
            BOOST_REQUIRE(r);
            BOOST_CHECK_EQUAL(r->attachments.size(), sample.attachments.size());
            CHECK_JSON_EQ(resolved(*r), resolved(sample));
            h.c.close();
            BOOST_REQUIRE(h.rec.wait_status(K::close));
            BOOST_CHECK_MESSAGE(t.server->stop_clean(), "gleitzeitd did not exit cleanly");
        }
    }
}

BOOST_AUTO_TEST_CASE(gleitzeitd_tokens) {
    session t(start_gleitzeitd(tokens_toml));
    auto ok = t.client(transports({"websocket"}));
    auto& s = ok.c.of("/", json::object{{"token", "secret"}});
    ok.c.open();
    BOOST_REQUIRE_MESSAGE(ok.rec.wait_status(K::connect, "/"), ok.rec.describe());
    auto r = ask(s, "echo", {json::array{"in"}, {}});
    BOOST_REQUIRE(r);
    CHECK_JSON_EQ(r->args, json::array{"in"});

    for (bool polling : {false, true}) {
        auto wrong = t.client(polling ? transports({"polling"}, false) : transports({"websocket"}));
        wrong.c.of("/", json::object{{"token", "nope"}});
        wrong.c.open();
        BOOST_REQUIRE_MESSAGE(wrong.rec.wait_status(K::connect_error, "/"), wrong.rec.describe());
        auto e = wrong.rec.statuses_of(K::connect_error, "/").at(0);
        BOOST_CHECK_EQUAL(e.reason, "unauthorized");
        CHECK_JSON_EQ(e.data,
                      (json::object{{"code", "unauthorized"}, {"reason", "unknown token"}}));
        BOOST_CHECK(wrong.rec.statuses_of(K::connect).empty());
    }

    auto none = t.client(transports({"websocket"}));
    none.c.of("/");
    none.c.open();
    BOOST_REQUIRE_MESSAGE(none.rec.wait_status(K::connect_error, "/"), none.rec.describe());
    auto e = none.rec.statuses_of(K::connect_error, "/").at(0);
    BOOST_CHECK_EQUAL(e.reason, "unauthorized");
    CHECK_JSON_EQ(e.data, (json::object{{"code", "unauthorized"},
                                        {"reason", "no token in the auth payload"}}));
}

BOOST_AUTO_TEST_CASE(clean_close_is_seen_by_the_server) {
    // Namespace level: with A and B in a room, C's broadcast reaches 2, then 1 once B closed.
    for (bool ws : {true, false}) {
        BOOST_TEST_CONTEXT((ws ? "B on websocket" : "B on polling")) {
            session t(start_fixture());
            auto reconnecting = [](sio::client_options o) {
                o.reconnection =
                    true; // so that a wrong reconnection after close() would show quickly
                o.reconnection_delay = 100ms;
                return o;
            };
            auto a = t.client(reconnecting(transports({"websocket"})));
            auto b = t.client(
                reconnecting(ws ? transports({"websocket"}) : transports({"polling"}, false)));
            auto c = t.client(transports({"websocket"}));
            std::vector<sio::namespace_handle*> socks;
            for (auto h : {a, b, c}) {
                auto& s = h.c.of("/");
                h.rec.listen(s, "hello");
                h.c.open();
                BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/"), h.rec.describe());
                socks.push_back(&s);
            }
            BOOST_REQUIRE(ask(*socks[0], "join", {json::array{"room1"}, {}}));
            BOOST_REQUIRE(ask(*socks[1], "join", {json::array{"room1"}, {}}));
            auto r = ask(*socks[2], "broadcast", {json::array{"room1", "hello", 1}, {}});
            BOOST_REQUIRE(r);
            CHECK_JSON_EQ(r->args, json::array{2});
            BOOST_REQUIRE(b.rec.wait_event("/", "hello"));

            b.c.close();
            BOOST_REQUIRE(b.rec.wait_status(K::close));
            BOOST_CHECK_EQUAL(b.rec.statuses_of(K::disconnect, "/").at(0).reason,
                              "io client disconnect");
            BOOST_CHECK_EQUAL(b.rec.statuses_of(K::close).at(0).reason, "io client disconnect");
            // The server learns of it asynchronously; poll, bounded.
            json::array reached;
            for (auto until = clock::now() + 3s; clock::now() < until;
                 std::this_thread::sleep_for(50ms)) {
                r = ask(*socks[2], "broadcast", {json::array{"room1", "hello", 2}, {}});
                BOOST_REQUIRE(r);
                reached = r->args;
                if (reached == json::array{1})
                    break;
            }
            CHECK_JSON_EQ(reached, json::array{1});
            std::this_thread::sleep_for(500ms); // five reconnection delays: none may start
            BOOST_CHECK_MESSAGE(b.rec.statuses_of(K::reconnect_scheduled).empty() &&
                                    b.rec.statuses_of(K::open).size() == 1,
                                b.rec.describe());
            BOOST_CHECK_EQUAL(b.rec.events_of("/", "hello").size(), 1u);
            BOOST_CHECK(a.rec.wait_event("/", "hello", 2));
            r = ask(*socks[2], "broadcast", {json::array{"room1", "hello", 3}, {}});
            BOOST_REQUIRE(r);
            CHECK_JSON_EQ(r->args, json::array{1});
        }
    }
}

BOOST_AUTO_TEST_CASE(clean_close_ends_the_engine_session) {
    // Engine.IO level: gleitzeitd's /health counts open sessions; close() must end the
    // session at once (a close packet or a closed WebSocket), not leave it to the 45 s
    // heartbeat timeout.
    for (auto [name, o] :
         {std::pair{"websocket", transports({"websocket"})},
          std::pair{"polling", transports({"polling"}, false)},
          std::pair{"polling with upgrade", transports({"polling", "websocket"})}}) {
        BOOST_TEST_CONTEXT(name) {
            session t(start_gleitzeitd(""));
            auto h = t.client(o);
            auto& s = h.c.of("/");
            h.c.open();
            BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/"), h.rec.describe());
            if (std::string(name) == "polling with upgrade")
                maybe_wait_upgrade(h, false);
            BOOST_REQUIRE(ask(s, "echo", {json::array{1}, {}}));
            BOOST_CHECK_EQUAL(sessions(t.server->port()), 1);
            h.c.close();
            BOOST_REQUIRE(h.rec.wait_status(K::close));
            long long open = -1;
            for (auto until = clock::now() + 3s; clock::now() < until && open != 0;
                 std::this_thread::sleep_for(50ms))
                open = sessions(t.server->port());
            BOOST_CHECK_EQUAL(open, 0);
            // The server heard the close packet itself, not a dropped connection.
            auto metrics = http_get(t.server->port(), "/metrics");
            BOOST_TEST(metrics.find("gleitzeit_sessions_closed_total{reason=\"client close\"} 1") !=
                           std::string::npos,
                       metrics);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
