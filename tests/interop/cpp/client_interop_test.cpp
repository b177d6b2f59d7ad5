// sio::client (host/sio/client/client.hpp) against the reference server, npm socket.io 4.8
// (tests/interop/node/ref_server.mjs): what the JS client would see there, the C++ client
// must see too. Every test starts its own server process and io_context; every wait is
// bounded.
#define BOOST_TEST_MODULE gleitzeit_client_interop
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>

using namespace interop;
using K = sio::client_event::kind;
using ack_fn = sio::namespace_handle::ack_fn;

namespace {

// JSON of every kind, with non-ASCII text, as the JS interop tests send.
json::array json_args() {
    return json::parse(R"([1,"two",{"three":[3,null,true]},[4.5,"é€😀"],false,null])").as_array();
}

/// `message` comes back as `message-back`, `message-with-ack` as the ack, argument for
/// argument.
void round_trip(sio::namespace_handle& s, recorder& rec, const std::string& tag) {
    auto args = json_args();
    args.push_back(json::string(tag));
    auto before = rec.events_of(s.nsp(), "message-back").size();
    s.emit("message", {args, {}});
    BOOST_REQUIRE_MESSAGE(rec.wait_event(s.nsp(), "message-back", before + 1),
                          "no message-back for " << tag << "\n"
                                                 << rec.describe());
    auto back = rec.events_of(s.nsp(), "message-back").at(before);
    CHECK_JSON_EQ(back.args, args);
    BOOST_CHECK(back.attachments.empty());
    auto r = ask(s, "message-with-ack", {args, {}});
    BOOST_REQUIRE_MESSAGE(r, "no ack for message-with-ack (" << tag << ")");
    CHECK_JSON_EQ(r->args, args);
}

/// Joins "/" (auth optional) and waits for the connect; returns the socket.
sio::namespace_handle& join(client_handle h, json::value auth = {}) {
    auto& s = h.c.of("/", std::move(auth));
    h.rec.listen(s, "auth");
    h.rec.listen(s, "message-back");
    h.c.open();
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/"), "no connect on /\n"
                                                                  << h.rec.describe());
    return s;
}

/// Attachments in many shapes: nested, in arrays, empty, every byte value, one large.
sio::message binary_sample() {
    sio::message m;
    m.attachments = {bytes(16, 1),   bytes(3, 2), bytes(0, 3),
                     bytes(1000, 4), bytes(5, 5), bytes(70000, 6)};
    m.args = json::array{
        sio::placeholder(0),
        json::object{
            {"nested", json::object{{"deep", sio::placeholder(1)},
                                    {"list", json::array{sio::placeholder(2), "text", 7}}}}},
        json::array{sio::placeholder(3), sio::placeholder(4)}, "tail", sio::placeholder(5)};
    return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(reference_server)

BOOST_AUTO_TEST_CASE(websocket_only) {
    session t(start_reference());
    auto h = t.client(transports({"websocket"}));
    auto& s = join(h, json::object{{"token", "ws"}});
    auto opens = h.rec.statuses_of(K::open);
    BOOST_REQUIRE_EQUAL(opens.size(), 1u);
    BOOST_CHECK_EQUAL(opens[0].reason, "websocket");
    auto conn = h.rec.statuses_of(K::connect, "/").at(0);
    BOOST_CHECK(!conn.reason.empty());
    BOOST_CHECK_EQUAL(s.id(), conn.reason);
    BOOST_CHECK(s.connected());
    round_trip(s, h.rec, "ws");
    BOOST_CHECK_EQUAL(h.rec.statuses_of(K::upgrade).size(), 0u);
}

BOOST_AUTO_TEST_CASE(polling_with_upgrade) {
    session t(start_reference());
    sio::client_options o; // the defaults: polling first, then the upgrade
    o.reconnection = false;
    auto h = t.client(o);
    auto& s = join(h);
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::upgrade), "no upgrade\n" << h.rec.describe());
    auto all = h.rec.statuses();
    BOOST_REQUIRE(!all.empty());
    BOOST_CHECK(all.front().e.what == K::open);
    BOOST_CHECK_EQUAL(all.front().e.reason, "polling");
    auto ups = h.rec.statuses_of(K::upgrade);
    BOOST_CHECK_EQUAL(ups.size(), 1u);
    BOOST_CHECK_EQUAL(ups.at(0).reason, "websocket");
    round_trip(s, h.rec, "after upgrade");
    round_trip(s, h.rec, "after upgrade, again");
    BOOST_CHECK_EQUAL(h.rec.statuses_of(K::close).size(), 0u);
}

BOOST_AUTO_TEST_CASE(polling_only) {
    // Both ways to stay on polling: websocket not offered, or offered but upgrade off.
    for (auto list :
         {std::vector<std::string>{"polling"}, std::vector<std::string>{"polling", "websocket"}}) {
        BOOST_TEST_CONTEXT("transports " << list.size()) {
            session t(start_reference());
            auto h = t.client(transports(list, false));
            auto& s = join(h);
            BOOST_CHECK_EQUAL(h.rec.statuses_of(K::open).at(0).reason, "polling");
            round_trip(s, h.rec, "polling 1");
            round_trip(s, h.rec, "polling 2");
            std::this_thread::sleep_for(300ms); // room for an upgrade that must not happen
            BOOST_CHECK_EQUAL(h.rec.statuses_of(K::upgrade).size(), 0u);
            BOOST_CHECK_EQUAL(h.rec.statuses_of(K::close).size(), 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(two_namespaces_on_one_client) {
    session t(start_reference());
    auto h = t.client(transports({"websocket"}));
    auto& root = h.c.of("/", json::object{{"who", "root"}});
    auto& custom = h.c.of("/custom", json::object{{"who", "custom"}});
    for (auto* s : {&root, &custom}) {
        h.rec.listen(*s, "auth");
        h.rec.listen(*s, "message-back");
    }
    h.c.open();
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/") &&
                              h.rec.wait_status(K::connect, "/custom"),
                          h.rec.describe());
    auto id_root = h.rec.statuses_of(K::connect, "/").at(0).reason;
    auto id_custom = h.rec.statuses_of(K::connect, "/custom").at(0).reason;
    BOOST_CHECK(!id_root.empty());
    BOOST_CHECK(!id_custom.empty());
    BOOST_CHECK_NE(id_root, id_custom); // Socket.IO 4 gives each namespace its own socket id
    BOOST_CHECK_EQUAL(root.id(), id_root);
    BOOST_CHECK_EQUAL(custom.id(), id_custom);

    BOOST_REQUIRE(h.rec.wait_event("/", "auth") && h.rec.wait_event("/custom", "auth"));
    CHECK_JSON_EQ(h.rec.events_of("/", "auth").at(0).args,
                  (json::array{json::object{{"who", "root"}}}));
    CHECK_JSON_EQ(h.rec.events_of("/custom", "auth").at(0).args,
                  (json::array{json::object{{"who", "custom"}}}));

    root.emit("message", {json::array{"to root"}, {}});
    custom.emit("message", {json::array{"to custom"}, {}});
    BOOST_REQUIRE(h.rec.wait_event("/", "message-back") &&
                  h.rec.wait_event("/custom", "message-back"));
    std::this_thread::sleep_for(200ms); // a stray echo on the wrong namespace would show now
    auto back_root = h.rec.events_of("/", "message-back");
    auto back_custom = h.rec.events_of("/custom", "message-back");
    BOOST_REQUIRE_EQUAL(back_root.size(), 1u);
    BOOST_REQUIRE_EQUAL(back_custom.size(), 1u);
    CHECK_JSON_EQ(back_root[0].args, json::array{"to root"});
    CHECK_JSON_EQ(back_custom[0].args, json::array{"to custom"});

    auto r1 = ask(root, "message-with-ack", {json::array{"r", 1}, {}});
    auto r2 = ask(custom, "message-with-ack", {json::array{"c", 2}, {}});
    BOOST_REQUIRE(r1 && r2);
    CHECK_JSON_EQ(r1->args, (json::array{"r", 1}));
    CHECK_JSON_EQ(r2->args, (json::array{"c", 2}));
}

BOOST_AUTO_TEST_CASE(acks_both_ways) {
    session t(start_reference());
    auto h = t.client(transports({"websocket"}));
    auto& s = h.c.of("/");
    // The server asks; this handler answers with a reply that quotes the question.
    s.on("question", [&rec = h.rec](sio::message& m, const ack_fn& ack) {
        rec.add({"/", "question", m});
        if (ack) // Boost.Test assertions are for the test thread; a missing ack shows as the
                 // server's timeout
            ack({json::array{"answer", json::object{{"to", m.args}}}, {}});
    });
    h.rec.listen(s, "silent-question"); // recorded, never acked
    h.rec.listen(s, "message-back");
    h.c.open();
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/"), h.rec.describe());

    // client -> server, with several arguments, and with none
    auto r = ask(s, "message-with-ack",
                 {json::array{1, "x", json::object{{"y", json::array{true}}}}, {}});
    BOOST_REQUIRE(r);
    CHECK_JSON_EQ(r->args, (json::array{1, "x", json::object{{"y", json::array{true}}}}));
    r = ask(s, "message-with-ack", {});
    BOOST_REQUIRE(r);
    BOOST_CHECK(r->args.empty());

    // server -> client: the request's ack carries what our handler replied
    r = ask(s, "server-ask", {json::array{"question", "q1", json::object{{"n", 1}}}, {}});
    BOOST_REQUIRE(r);
    auto asked = json::array{"q1", json::object{{"n", 1}}};
    CHECK_JSON_EQ(r->args, (json::array{"answer", json::object{{"to", asked}}}));
    BOOST_REQUIRE_EQUAL(h.rec.events_of("/", "question").size(), 1u);
    CHECK_JSON_EQ(h.rec.events_of("/", "question")[0].args, asked);

    // a handler that does not ack: the server's 2 s timeout answers for it
    r = ask(s, "server-ask", {json::array{"silent-question", 5}, {}}, 5000ms);
    BOOST_REQUIRE(r);
    CHECK_JSON_EQ(r->args, (json::array{json::object{{"timeout", true}}}));
    CHECK_JSON_EQ(h.rec.events_of("/", "silent-question").at(0).args, json::array{5});

    // an event nobody answers: nullopt once the timeout passed, not before, not much after
    auto t0 = clock::now();
    r = ask(s, "no-such-event", {json::array{1}, {}}, 300ms);
    auto took = clock::now() - t0;
    BOOST_CHECK(!r);
    BOOST_CHECK(took >= 300ms);
    BOOST_CHECK(took < 2000ms);
    // The connection is unharmed by the unanswered ack.
    round_trip(s, h.rec, "after timeout");
}

BOOST_AUTO_TEST_CASE(binary_both_ways) {
    for (bool websocket : {true, false}) {
        BOOST_TEST_CONTEXT((websocket ? "websocket" : "polling")) {
            session t(start_reference());
            auto h =
                t.client(websocket ? transports({"websocket"}) : transports({"polling"}, false));
            auto& s = h.c.of("/");
            h.rec.listen(s, "message-back");
            s.on("bin-question", [&rec = h.rec](sio::message& m, const ack_fn& ack) {
                rec.add({"/", "bin-question", m});
                if (ack)
                    ack({json::array{"got", sio::placeholder(0),
                                     json::object{{"n", m.attachments.size()}}},
                         {bytes(300, 9)}});
            });
            h.c.open();
            BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/"), h.rec.describe());

            // client -> server -> client as an event (BINARY_EVENT both ways)
            auto sample = binary_sample();
            s.emit("message", sample);
            BOOST_REQUIRE(h.rec.wait_event("/", "message-back"));
            auto back = h.rec.events_of("/", "message-back").at(0);
            BOOST_CHECK_EQUAL(back.attachments.size(), sample.attachments.size());
            CHECK_JSON_EQ(resolved(back), resolved(sample));

            // as an ack (BINARY_ACK from the server)
            auto r = ask(s, "message-with-ack", sample);
            BOOST_REQUIRE(r);
            CHECK_JSON_EQ(resolved(*r), resolved(sample));

            // placeholders numbered out of order still name their attachment
            sio::message swapped{
                json::array{json::object{{"b", sio::placeholder(1)}}, sio::placeholder(0)},
                {"first", "second"}};
            r = ask(s, "message-with-ack", swapped);
            BOOST_REQUIRE(r);
            CHECK_JSON_EQ(resolved(*r), resolved(swapped));

            // server -> client binary event, answered with a binary ack
            sio::message q{json::array{"bin-question", sio::placeholder(0),
                                       json::object{{"in", json::array{sio::placeholder(1)}}}},
                           {bytes(256, 7), bytes(2, 8)}};
            r = ask(s, "server-ask", q);
            BOOST_REQUIRE(r);
            CHECK_JSON_EQ(resolved(*r),
                          (json::array{"got", json::object{{"bytes", hex(bytes(300, 9))}},
                                       json::object{{"n", 2}}}));
            auto got = h.rec.events_of("/", "bin-question");
            BOOST_REQUIRE_EQUAL(got.size(), 1u);
            CHECK_JSON_EQ(
                resolved(got[0]),
                (json::array{
                    json::object{{"bytes", hex(bytes(256, 7))}},
                    json::object{{"in", json::array{json::object{{"bytes", hex(bytes(2, 8))}}}}}}));
            round_trip(s, h.rec, "after binary");
        }
    }
}

BOOST_AUTO_TEST_CASE(auth_accepted_and_refused) {
    session t(start_reference());
    auto good = t.client(transports({"websocket"}));
    json::value auth = json::object{
        {"token", "abc"}, {"list", json::array{1, 2}}, {"nested", json::object{{"k", "v"}}}};
    join(good, auth);
    BOOST_REQUIRE(good.rec.wait_event("/", "auth"));
    CHECK_JSON_EQ(good.rec.events_of("/", "auth").at(0).args, json::array{auth});

    auto bad = t.client(transports({"websocket"}));
    json::value refuse = json::object{{"refuse", true}, {"why", "x"}};
    auto& s = bad.c.of("/", refuse);
    bad.c.open();
    BOOST_REQUIRE_MESSAGE(bad.rec.wait_status(K::connect_error, "/"), bad.rec.describe());
    auto err = bad.rec.statuses_of(K::connect_error, "/").at(0);
    BOOST_CHECK_EQUAL(err.reason, "refused by reference");
    CHECK_JSON_EQ(err.data, refuse);
    std::this_thread::sleep_for(300ms);
    BOOST_CHECK_EQUAL(bad.rec.statuses_of(K::connect).size(), 0u);
    BOOST_CHECK(!s.connected());
    BOOST_CHECK(s.id().empty());

    // Refusal is per namespace: "/" joins while "/custom" is refused on the same connection.
    auto mixed = t.client(transports({"websocket"}));
    auto& custom = mixed.c.of("/custom", refuse);
    auto& root = join(mixed);
    BOOST_REQUIRE_MESSAGE(mixed.rec.wait_status(K::connect_error, "/custom"), mixed.rec.describe());
    BOOST_CHECK_EQUAL(mixed.rec.statuses_of(K::connect_error, "/custom").at(0).reason,
                      "refused by reference");
    BOOST_CHECK(!custom.connected());
    round_trip(root, mixed.rec, "beside a refused namespace");
}

BOOST_AUTO_TEST_CASE(server_side_disconnect) {
    session t(start_reference());
    auto o = transports({"websocket"});
    o.reconnection = true; // a server disconnect must not reconnect even so (as in the JS client)
    o.reconnection_delay = 100ms;
    auto h = t.client(o);
    auto& s = join(h);
    s.emit("disconnect-me");
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::disconnect, "/"), h.rec.describe());
    auto d = h.rec.statuses_of(K::disconnect, "/");
    BOOST_CHECK_EQUAL(d.at(0).reason, "io server disconnect");
    BOOST_CHECK(!s.connected());
    BOOST_CHECK(s.id().empty());
    std::this_thread::sleep_for(500ms);
    BOOST_CHECK_MESSAGE(h.rec.statuses_of(K::reconnect_scheduled).empty() &&
                            h.rec.statuses_of(K::connect).size() == 1,
                        h.rec.describe());
}

BOOST_AUTO_TEST_CASE(thread_safe_emission) {
    session t(start_reference());
    auto h = t.client(transports({"websocket"}));
    auto& s = join(h);
    // Shared, not on the stack: a late reply handler (run by the client's close) must find it.
    struct tally {
        std::mutex m;
        std::condition_variable cv;
        int ok = 0, wrong = 0, missing = 0;
        std::string first_wrong;
    };
    auto tl = std::make_shared<tally>();
    constexpr int threads = 4, per_thread = 250;
    std::vector<std::thread> emitters;
    for (int th = 0; th < threads; ++th)
        emitters.emplace_back([&s, tl, th] {
            for (int i = 0; i < per_thread; ++i) {
                json::array args{th, i, "payload-" + std::to_string(th * per_thread + i)};
                s.emit("message-with-ack", {args, {}}, 10000ms,
                       [tl, args](std::optional<sio::message> r) {
                           std::lock_guard lock(tl->m);
                           if (!r)
                               ++tl->missing;
                           else if (r->args == args)
                               ++tl->ok;
                           else if (tl->wrong++ == 0)
                               tl->first_wrong =
                                   json::serialize(r->args) + " for " + json::serialize(args);
                           tl->cv.notify_all();
                       });
            }
        });
    for (auto& e : emitters)
        e.join();
    std::unique_lock lock(tl->m);
    bool all = tl->cv.wait_for(
        lock, 20s, [&] { return tl->ok + tl->wrong + tl->missing == threads * per_thread; });
    BOOST_CHECK_MESSAGE(all, "only " << tl->ok + tl->wrong + tl->missing << " replies within 20 s");
    BOOST_CHECK_EQUAL(tl->ok, threads * per_thread);
    BOOST_CHECK_MESSAGE(tl->wrong == 0, tl->wrong << " wrong replies, first: " << tl->first_wrong);
    BOOST_CHECK_EQUAL(tl->missing, 0);
}

BOOST_AUTO_TEST_SUITE_END()
