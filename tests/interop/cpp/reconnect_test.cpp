// Reconnection of sio::client, held against the JS client's rules (socket.io-client's
// Manager and its Backoff): attempt k waits min(base * 2^(k-1) -+ jitter, max), attempts
// count 1, 2, 3, ... and restart from 1 after a success, the namespaces rejoin by
// themselves, and reconnectionAttempts gives up with reconnect_failed.
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

#include <algorithm>
#include <cmath>

using namespace interop;
using K = sio::client_event::kind;

namespace {

struct bounds {
    long long lo, hi;
};

/// The range of the JS client's Backoff.duration() for attempt k (1-based):
///   ms = min * 2^(k-1); deviation = floor(rand * jitter * ms), rand in [0, 1);
///   ms -+ deviation, then min(ms, max).
bounds backoff(unsigned k, const sio::client_options& o) {
    double ms = static_cast<double>(o.reconnection_delay.count()) * std::pow(2.0, k - 1);
    double dev = std::floor(o.randomization_factor * ms);
    double cap = static_cast<double>(o.reconnection_delay_max.count());
    return {static_cast<long long>(std::min(ms - dev, cap)),
            static_cast<long long>(std::min(ms + dev, cap))};
}

/// Checks one outage in `all` from index `from`: reconnect_scheduled 1..n, each delay in
/// its range and honoured before its reconnect_attempt, then one reconnect with attempt n,
/// then open and the namespace's connect. Returns n.
unsigned check_outage(const std::vector<status_record>& all, std::size_t from,
                      const sio::client_options& o, const std::string& log) {
    std::vector<status_record> scheduled, attempts, reconnects;
    std::size_t i = from;
    for (; i < all.size() && all[i].e.what != K::connect; ++i) {
        const auto& r = all[i];
        if (r.e.what == K::reconnect_scheduled)
            scheduled.push_back(r);
        else if (r.e.what == K::reconnect_attempt)
            attempts.push_back(r);
        else if (r.e.what == K::reconnect)
            reconnects.push_back(r);
    }
    BOOST_TEST_CONTEXT("statuses:\n" << log) {
        BOOST_REQUIRE_LT(i, all.size()); // the outage ended with a connect
        BOOST_REQUIRE(!scheduled.empty());
        BOOST_CHECK_EQUAL(attempts.size(), scheduled.size());
        for (std::size_t k = 0; k < scheduled.size(); ++k) {
            const auto& e = scheduled[k].e;
            BOOST_CHECK_EQUAL(e.attempt, k + 1);
            auto b = backoff(static_cast<unsigned>(k + 1), o);
            BOOST_CHECK_MESSAGE(e.delay.count() >= b.lo && e.delay.count() <= b.hi,
                                "attempt " << k + 1 << " delay " << e.delay.count()
                                           << " ms outside [" << b.lo << ", " << b.hi << "]");
            if (k < attempts.size()) {
                BOOST_CHECK_EQUAL(attempts[k].e.attempt, k + 1);
                // The timer fires no earlier than the delay (2 ms for clock granularity).
                auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                    attempts[k].at - scheduled[k].at);
                BOOST_CHECK_MESSAGE(waited >= e.delay - 2ms,
                                    "attempt " << k + 1 << " started after " << waited.count()
                                               << " ms, its delay was " << e.delay.count());
            }
        }
        BOOST_REQUIRE_EQUAL(reconnects.size(), 1u);
        BOOST_CHECK_EQUAL(reconnects[0].e.attempt, scheduled.back().e.attempt);
        BOOST_CHECK(reconnects[0].at >= attempts.back().at);
        // After the reconnect: open, then the rejoined namespace.
        auto after = std::find_if(all.begin() + static_cast<long>(from), all.end(),
                                  [](const status_record& r) { return r.e.what == K::reconnect; });
        BOOST_REQUIRE(after + 1 < all.end());
        BOOST_CHECK(after[1].e.what == K::open);
    }
    return static_cast<unsigned>(scheduled.size());
}

} // namespace

BOOST_AUTO_TEST_SUITE(reference_server)

BOOST_AUTO_TEST_CASE(reconnects_after_restart_on_the_same_port) {
    session t(start_reference());
    auto o = transports({"websocket"});
    o.reconnection = true;
    o.reconnection_delay = 200ms;
    o.reconnection_delay_max = 1000ms;
    o.randomization_factor = 0.5;
    auto h = t.client(o);
    auto& s = h.c.of("/");
    h.rec.listen(s, "message-back");
    h.c.open();
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/"), h.rec.describe());
    const auto first_id = s.id();
    BOOST_REQUIRE(ask(s, "message-with-ack", {json::array{"before"}, {}}));
    const auto port = t.server->port();

    // Outage 1: killed outright, back on the same port 1.5 s later.
    auto from = h.rec.statuses().size();
    t.server->stop(SIGKILL);
    const auto killed = clock::now();
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::disconnect, "/"), h.rec.describe());
    auto reason = h.rec.statuses_of(K::disconnect, "/").at(0).reason;
    BOOST_CHECK_MESSAGE(reason == "transport close" || reason == "transport error", reason);
    BOOST_CHECK(!s.connected());
    // Emits while disconnected wait in the buffer (client.hpp), and go out once rejoined.
    s.emit("message", {json::array{"sent while down"}, {}});
    std::this_thread::sleep_until(killed + 1500ms);
    t.server = start_reference(port);
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/", 2, 10s), h.rec.describe());
    auto n = check_outage(h.rec.statuses(), from, o, h.rec.describe());
    // Down for >= 1.5 s and attempt 1 comes after <= 300 ms: it must have failed at least once.
    BOOST_CHECK_GE(n, 2u);
    auto second_id = h.rec.statuses_of(K::connect, "/").at(1).reason;
    BOOST_CHECK(!second_id.empty());
    BOOST_CHECK_NE(second_id, first_id);
    BOOST_CHECK_EQUAL(s.id(), second_id);
    BOOST_REQUIRE_MESSAGE(h.rec.wait_event("/", "message-back"), "the buffered emit never arrived\n"
                                                                     << h.rec.describe());
    CHECK_JSON_EQ(h.rec.events_of("/", "message-back").at(0).args, json::array{"sent while down"});
    auto r = ask(s, "message-with-ack", {json::array{"after", 1}, {}});
    BOOST_REQUIRE(r);
    CHECK_JSON_EQ(r->args, (json::array{"after", 1}));

    // Outage 2: the attempt count starts over at 1 (the JS client resets its backoff).
    from = h.rec.statuses().size();
    auto scheduled_before = h.rec.statuses_of(K::reconnect_scheduled).size();
    t.server->stop(SIGKILL);
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::reconnect_scheduled, "", scheduled_before + 1),
                          h.rec.describe());
    t.server = start_reference(port);
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::connect, "/", 3, 10s), h.rec.describe());
    check_outage(h.rec.statuses(), from, o, h.rec.describe());
    r = ask(s, "message-with-ack", {json::array{"after", 2}, {}});
    BOOST_REQUIRE(r);
    CHECK_JSON_EQ(r->args, (json::array{"after", 2}));
}

BOOST_AUTO_TEST_CASE(gives_up_after_reconnection_attempts) {
    session t(nullptr);
    auto o = transports({"websocket"});
    o.reconnection = true;
    o.reconnection_attempts = 2;
    o.reconnection_delay = 100ms;
    o.reconnection_delay_max = 1000ms;
    o.randomization_factor = 0.5;
    auto h = t.client(o, "http://127.0.0.1:" + std::to_string(dead_port()));
    h.c.of("/");
    h.c.open();
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::reconnect_failed), h.rec.describe());
    std::this_thread::sleep_for(500ms); // longer than any further delay could be
    auto log = h.rec.describe();
    BOOST_TEST_CONTEXT("statuses:\n" << log) {
        auto scheduled = h.rec.statuses_of(K::reconnect_scheduled);
        BOOST_REQUIRE_EQUAL(scheduled.size(), 2u);
        for (unsigned k = 1; k <= 2; ++k) {
            BOOST_CHECK_EQUAL(scheduled[k - 1].attempt, k);
            auto b = backoff(k, o);
            BOOST_CHECK(scheduled[k - 1].delay.count() >= b.lo &&
                        scheduled[k - 1].delay.count() <= b.hi);
        }
        auto attempts = h.rec.statuses_of(K::reconnect_attempt);
        BOOST_REQUIRE_EQUAL(attempts.size(), 2u);
        BOOST_CHECK_EQUAL(attempts[0].attempt, 1u);
        BOOST_CHECK_EQUAL(attempts[1].attempt, 2u);
        auto failed = h.rec.statuses_of(K::reconnect_failed);
        BOOST_REQUIRE_EQUAL(failed.size(), 1u);
        BOOST_CHECK_EQUAL(failed[0].attempt, 2u);
        BOOST_CHECK(h.rec.statuses().back().e.what == K::reconnect_failed);
        BOOST_CHECK(h.rec.statuses_of(K::open).empty());
        BOOST_CHECK(h.rec.statuses_of(K::connect).empty());
    }
}

BOOST_AUTO_TEST_CASE(backoff_without_jitter_is_exact) {
    // randomization_factor 0 leaves the bare formula: 100, 200, 400, then the 500 cap.
    session t(nullptr);
    auto o = transports({"websocket"});
    o.reconnection = true;
    o.reconnection_attempts = 4;
    o.reconnection_delay = 100ms;
    o.reconnection_delay_max = 500ms;
    o.randomization_factor = 0;
    auto h = t.client(o, "http://127.0.0.1:" + std::to_string(dead_port()));
    h.c.of("/");
    h.c.open();
    BOOST_REQUIRE_MESSAGE(h.rec.wait_status(K::reconnect_failed, "", 1, 5s), h.rec.describe());
    auto scheduled = h.rec.statuses_of(K::reconnect_scheduled);
    BOOST_REQUIRE_EQUAL(scheduled.size(), 4u);
    const long long expected[] = {100, 200, 400, 500};
    for (std::size_t k = 0; k < 4; ++k) {
        BOOST_CHECK_EQUAL(scheduled[k].attempt, k + 1);
        BOOST_CHECK_EQUAL(scheduled[k].delay.count(), expected[k]);
    }
    BOOST_CHECK_EQUAL(h.rec.statuses_of(K::reconnect_failed).at(0).attempt, 4u);
}

BOOST_AUTO_TEST_SUITE_END()
