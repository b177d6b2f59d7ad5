// What waits for long-polling sessions, all of them together (docs/operations.md,
// max_buffered): once it passes 2 × max_buffered, a session that holds more than
// read_pause_bytes and whose client does not fetch is closed as a slow consumer; one that
// holds a GET, or polled within the fetch gap, is not. Fake polls, a real strand and timers.
#include "sio/server/engine_endpoint.hpp"
#include "sio/server/engine_session.hpp"
#include "sio/server/metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace engine = gleitzeit::sio::engine;
using namespace std::chrono_literals;

namespace {

struct fake_poll final : engine::poll_request {
    std::vector<std::string>* answers;
    explicit fake_poll(std::vector<std::string>& a) : answers(&a) {}
    void answer(unsigned, std::string body) override { answers->push_back(std::move(body)); }
};

/// Why each session closed, by sid.
struct closings final : engine::session_handler {
    std::map<std::string, std::string> reasons;
    void on_open(const std::shared_ptr<engine::session>&) override {}
    void on_message(const std::shared_ptr<engine::session>&, std::string_view, bool) override {}
    void on_close(const std::shared_ptr<engine::session>& s, const std::string& reason) override {
        reasons[s->id()] = reason;
    }
};

struct budget_fixture {
    static constexpr std::size_t max_buffered = 100'000; // the budget is 200,000
    boost::asio::io_context ioc;
    gleitzeit::sio::metrics stats;
    closings handler;
    std::shared_ptr<engine::endpoint> ep;
    std::vector<std::string> answers;

    budget_fixture() {
        engine::options o;
        o.ping_interval = 10s; // no ping during a test
        o.max_buffered = max_buffered;
        ep = std::make_shared<engine::endpoint>(o, handler, stats);
    }
    ~budget_fixture() {
        ep->close_all("end of test");
        run_for(1ms);
    }
    std::shared_ptr<engine::session> polling_session() {
        auto s = ep->create(ioc);
        s->start_polling();
        return s;
    }
    void run_for(std::chrono::milliseconds d) {
        ioc.restart();
        ioc.run_for(d);
    }
    /// Sends `s` one packet of `size` bytes and lets the strand run.
    void send(const std::shared_ptr<engine::session>& s, std::size_t size) {
        std::vector<engine::frame> frames(1);
        frames[0].owned = "4" + std::string(size - 1, 'x');
        s->send(std::move(frames));
        run_for(1ms);
    }
    /// Two sessions that never fetch, holding 198,000 bytes: just within the budget.
    std::vector<std::shared_ptr<engine::session>> hoarders() {
        std::vector<std::shared_ptr<engine::session>> all{polling_session(), polling_session()};
        for (const auto& s : all)
            send(s, 99'000);
        return all;
    }
    std::string closed(const std::shared_ptr<engine::session>& s) const {
        auto it = handler.reasons.find(s->id());
        return it == handler.reasons.end() ? "" : it->second;
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(polling_budget, budget_fixture)

BOOST_AUTO_TEST_CASE(past_the_budget_a_session_that_never_fetched_is_closed) {
    auto a = polling_session();
    auto b = polling_session();
    auto c = polling_session();
    send(a, 90'000);
    send(b, 90'000); // 180,000 in all: within the budget, and each within max_buffered
    BOOST_TEST(closed(a).empty());
    BOOST_TEST(closed(b).empty());
    send(c, 10'000); // 190,000
    send(c, 20'000); // 210,000: past it, and c holds more than read_pause_bytes
    BOOST_TEST(closed(c) == "slow consumer");
    // Its bytes are no longer counted: the others may still be sent to.
    BOOST_TEST(closed(a).empty());
    BOOST_TEST(closed(b).empty());
    BOOST_TEST(!ep->polling_over_budget());
}

BOOST_AUTO_TEST_CASE(a_session_holding_a_get_is_never_closed_for_the_budget) {
    auto held = hoarders();
    auto reader = polling_session();
    reader->on_poll(std::make_shared<fake_poll>(answers));
    send(reader, 50'000); // past the budget, but it goes out with the held GET
    BOOST_TEST(closed(reader).empty());
    BOOST_TEST(answers.size() == 1u);
    for (const auto& s : held)
        BOOST_TEST(closed(s).empty()); // they added nothing past the budget
}

BOOST_AUTO_TEST_CASE(a_client_between_two_gets_has_the_fetch_gap_to_poll_again) {
    auto held = hoarders();
    auto polls = polling_session();
    auto stops = polling_session();
    for (const auto& s : {polls, stops}) {
        s->on_poll(std::make_shared<fake_poll>(answers));
        send(s, 100);    // answered: the client has just fetched
        send(s, 50'000); // waits for its next GET, past the budget
    }
    BOOST_TEST(closed(polls).empty());
    BOOST_TEST(closed(stops).empty());
    polls->on_poll(std::make_shared<fake_poll>(answers)); // its next GET, within the gap
    run_for(engine::fetch_gap + 200ms);
    BOOST_TEST(closed(polls).empty());
    BOOST_TEST(closed(stops) == "slow consumer"); // no GET came within the gap
}

BOOST_AUTO_TEST_SUITE_END()
