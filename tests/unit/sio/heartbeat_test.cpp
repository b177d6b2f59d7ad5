// The session's heartbeat next to large frames (docs/architecture.md, "Heartbeats"), against
// a fake WebSocket link and a fake poll: a ping goes ahead of queued packets and ahead of a
// large one; its pong is due ping_timeout after it left, plus the time of the write it
// waited behind; until it leaves, the session lives while the link moves bytes. The timers
// are real, with margins of 100 ms and more.
#include "sio/server/engine_endpoint.hpp"
#include "sio/server/engine_session.hpp"
#include "sio/server/metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace engine = gleitzeit::sio::engine;
using namespace std::chrono_literals;
using strings = std::vector<std::string>;

namespace {

/// What the session wrote, each frame as its first 12 bytes; "first:" marks write_first.
struct fake_link final : engine::websocket_link {
    strings written;
    std::vector<sent_fn> sent;
    bool busy = false; // a write under way, which last moved bytes at `progress`
    time_point progress{};
    bool closed = false;

    void write(std::vector<engine::frame> frames) override {
        for (const auto& f : frames)
            written.emplace_back(f.bytes().substr(0, 12));
    }
    void write_first(engine::frame f, sent_fn on_sent) override {
        written.push_back("first:" + std::string(f.bytes()));
        sent.push_back(std::move(on_sent));
    }
    time_point last_progress() const override {
        return busy ? progress : std::chrono::steady_clock::now();
    }
    void close() override { closed = true; }
};

struct fake_poll final : engine::poll_request {
    strings* answers;
    explicit fake_poll(strings& a) : answers(&a) {}
    void answer(unsigned, std::string body) override { answers->push_back(body.substr(0, 12)); }
};

struct recorder final : engine::session_handler {
    std::string closed_for;
    void on_open(const std::shared_ptr<engine::session>&) override {}
    void on_message(const std::shared_ptr<engine::session>&, std::string_view, bool) override {}
    void on_close(const std::shared_ptr<engine::session>&, const std::string& reason) override {
        closed_for = reason;
    }
};

struct heartbeat_fixture {
    boost::asio::io_context ioc;
    gleitzeit::sio::metrics stats;
    recorder handler;
    std::shared_ptr<engine::endpoint> ep;
    std::shared_ptr<engine::session> s;
    std::shared_ptr<fake_link> link = std::make_shared<fake_link>();

    void open(std::chrono::milliseconds interval, std::chrono::milliseconds timeout) {
        engine::options o;
        o.ping_interval = interval;
        o.ping_timeout = timeout;
        ep = std::make_shared<engine::endpoint>(o, handler, stats);
        s = ep->create(ioc);
    }
    void run_for(std::chrono::milliseconds d) {
        ioc.restart();
        ioc.run_for(d);
    }
    static std::vector<engine::frame> message(std::size_t size) {
        std::vector<engine::frame> frames(1);
        frames[0].owned = "4" + std::string(size - 1, 'x');
        return frames;
    }
    ~heartbeat_fixture() {
        if (s)
            s->close("end of test");
        ioc.restart();
        ioc.poll();
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_heartbeat, heartbeat_fixture)

BOOST_AUTO_TEST_CASE(large_frame_gets_a_ping_ahead_and_its_pong_allows_for_the_frame) {
    open(10s, 100ms); // no regular ping during the test
    s->start_websocket(link);
    s->send(message(100));
    s->send(message(engine::batch_bytes));
    run_for(1ms);
    BOOST_TEST(link->written == (strings{"0{\"sid\":\"" + s->id().substr(0, 3), "4xxxxxxxxxxx",
                                         "first:2", "4xxxxxxxxxxx"}),
               boost::test_tools::per_element());
    // The ping waits behind a write that keeps moving bytes: no timeout.
    link->busy = true;
    for (int i = 0; i < 15; ++i) {
        link->progress = std::chrono::steady_clock::now();
        run_for(20ms);
    }
    BOOST_TEST(handler.closed_for.empty());
    // It leaves behind a write that took 300 ms: the pong is due 100 + 300 ms from now.
    link->busy = false;
    BOOST_REQUIRE_EQUAL(link->sent.size(), 1u);
    link->sent[0](300ms);
    run_for(300ms);
    BOOST_TEST(handler.closed_for.empty());
    run_for(250ms);
    BOOST_TEST(handler.closed_for == "ping timeout");
}

BOOST_AUTO_TEST_CASE(ping_behind_a_write_that_moves_nothing_times_out) {
    open(20ms, 100ms);
    s->start_websocket(link);
    link->busy = true;
    link->progress = std::chrono::steady_clock::now();
    run_for(60ms); // the ping is queued, and stuck
    BOOST_TEST(link->written.back() == "first:2");
    BOOST_TEST(handler.closed_for.empty());
    run_for(250ms);
    BOOST_TEST(handler.closed_for == "ping timeout");
}

BOOST_AUTO_TEST_CASE(pong_answers_the_ping_and_only_a_large_frame_gets_one_ahead) {
    open(10s, 100ms);
    s->start_websocket(link);
    s->send(message(engine::batch_bytes - 1));
    run_for(1ms);
    BOOST_TEST(link->written.size() == 2u); // the open packet and the frame: no ping
    s->send(message(engine::batch_bytes));
    run_for(1ms);
    BOOST_REQUIRE_EQUAL(link->sent.size(), 1u);
    link->sent[0](0ms);
    s->on_ws_message(link.get(), "3", false);
    // Answered: a second large frame gets a ping of its own, and nothing times out.
    s->send(message(engine::batch_bytes));
    run_for(300ms);
    BOOST_TEST(link->sent.size() == 2u);
    BOOST_TEST(handler.closed_for.empty());
}

BOOST_AUTO_TEST_CASE(polling_answers_a_ping_without_the_large_packet_behind_it) {
    open(50ms, 200ms);
    strings answers;
    s->start_polling();
    s->send(message(10));
    s->send(message(engine::batch_bytes)); // no ping ahead of it over polling
    run_for(100ms); // the regular ping, 50 ms in, waits in the outbox for a poll
    // It went to the front; an answer takes packets up to batch_bytes, at least one.
    s->on_poll(std::make_shared<fake_poll>(answers));
    s->on_poll(std::make_shared<fake_poll>(answers));
    s->on_poll(std::make_shared<fake_poll>(answers));
    BOOST_TEST(answers == (strings{"2\x1e"
                                   "4xxxxxxxxx",
                                   "4xxxxxxxxxxx"}),
               boost::test_tools::per_element());
    // The ping left with the first answer: its pong is due 200 ms from then, not from 50 ms.
    run_for(130ms);
    BOOST_TEST(handler.closed_for.empty());
    run_for(200ms);
    BOOST_TEST(handler.closed_for == "ping timeout");
}

BOOST_AUTO_TEST_SUITE_END()
