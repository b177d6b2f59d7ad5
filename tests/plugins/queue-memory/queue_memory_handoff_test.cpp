// queue-memory's state handoff (gleitzeit/handoff.hpp): the snapshot runs on another thread
// while the queue changes, and the journal brings the new generation level with the old.
// Under `make test-sanitize`, a snapshot that read an entry the queue had freed would fail.

#include "queue_memory_fixtures.hpp"

#include <thread>

using namespace queue_memory_test;

namespace {

void fill(queue_memory& q) {
    const priority levels[] = {priority::low, priority::normal, priority::urgent, priority::high};
    for (int i = 0; i < 40; ++i)
        q.enqueue(make_task("t" + std::to_string(i), levels[i % 4],
                            i % 3 ? "echo/v1" : "llm/v1"));
}

// What a handoff does, with `serve` run while the snapshot is written on another thread.
void hand_over(queue_memory& from, queue_memory& to, const std::function<void()>& serve) {
    auto snapshot = from.begin_handoff(to.state_formats());
    json::object state;
    std::thread writer([&] { state = snapshot(); });
    serve();
    writer.join();
    snapshot = nullptr;
    to.import_state(state);
    to.import_changes(from.finish_handoff());
}

} // namespace

BOOST_AUTO_TEST_SUITE(queue_memory_handoff_suite)

BOOST_AUTO_TEST_CASE(changes_during_the_handoff_reach_the_new_generation) {
    for (auto [from_format, to_format] : {std::pair{1, 1}, {1, 2}, {2, 2}, {2, 1}}) {
        BOOST_TEST_CONTEXT("format " << from_format << " to " << to_format) {
            queue_memory from({}, from_format);
            queue_memory to({}, to_format);
            fill(from);
            hand_over(from, to, [&] {
                drain(from, {"llm/v1"}); // dequeues 14 tasks
                BOOST_TEST(from.remove("t1"));
                from.enqueue(make_task("late-urgent", priority::urgent));
                from.enqueue(make_task("late-low", priority::low, "llm/v1"));
                BOOST_TEST(from.dequeue({})->id == "t2");
                from.enqueue(make_task("t0", priority::high)); // an id used again
            });
            BOOST_TEST(from.stats().size == 40u - 14 - 2 + 3);
            BOOST_TEST(ids(to) == ids(from), boost::test_tools::per_element());
            if (to_format == 2 && from_format == 2) {
                BOOST_TEST(to.stats().enqueued_total == from.stats().enqueued_total);
                BOOST_TEST(to.stats().dequeued_total == from.stats().dequeued_total);
            }
            // Both serve alike from here: the same tasks come out in the same order.
            BOOST_TEST(drain(to) == drain(from), boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(the_changes_are_the_documented_ones) {
    queue_memory from({}, 2);
    queue_memory to({}, 2);
    from.enqueue(make_task("a"));
    from.enqueue(make_task("b"));
    auto snapshot = from.begin_handoff({"queue/2"});
    from.dequeue({});
    from.enqueue(make_task("c", priority::high));
    BOOST_TEST(from.remove("b"));
    BOOST_TEST(!from.remove("nope")); // nothing changed, nothing journaled
    const auto state = snapshot();
    BOOST_TEST(state.at("levels").at("normal").as_string().size() > 0);
    snapshot = nullptr;
    BOOST_TEST(json::serialize(from.finish_handoff()) ==
               R"({"format":"queue/2","changes":[["-","a"],["+","[\"c\",\"wf-1\",\"step c\",)"
               R"(\"echo/v1\",\"echo\",{\"text\":\"hello c\"},[],1,30000,)"
               R"([1,2,1000,60000,1E-1],1,0,0]"],["-","b"]],)"
               R"("stats":{"enqueued_total":3,"dequeued_total":1}})");
}

BOOST_AUTO_TEST_CASE(an_abandoned_handoff_leaves_the_queue_serving_as_before) {
    queue_memory q({}, 1);
    fill(q);
    auto snapshot = q.begin_handoff({"queue/1"});
    check_refused([&] { q.begin_handoff({"queue/1"}); }, error_code::internal,
                  "queue-memory: a handoff is already in progress");
    q.dequeue({});
    snapshot = nullptr;
    q.abandon_handoff();
    q.abandon_handoff(); // the host may call it after a finish that threw
    check_refused([&] { q.finish_handoff(); }, error_code::internal,
                  "queue-memory: finish_handoff without a handoff");
    BOOST_TEST(q.stats().size == 39u);
    // A later handoff starts afresh: the dequeue above is not in its changes.
    q.begin_handoff({"queue/1"});
    BOOST_TEST(json::serialize(q.finish_handoff()) == R"({"format":"queue/1","changes":[]})");
}

BOOST_AUTO_TEST_CASE(bad_changes_are_refused) {
    queue_memory to({}, 1);
    to.enqueue(make_task("a"));
    auto refused = [&](const std::string& changes, error_code code, const std::string& why) {
        check_refused([&] { to.import_changes(state_of(changes)); }, code, why);
    };
    refused(R"({"format":"queue/2","changes":[]})", error_code::state_format,
            "queue-memory: changes in a format it does not read; it reads [queue/1]");
    refused(R"({"format":"queue/1","changes":[],"stats":{}})", error_code::invalid_argument,
            "queue-memory: state changes has an unknown key 'stats'");
    refused(R"({"format":"queue/1","changes":[["*","a"]]})", error_code::invalid_argument,
            R"(queue-memory: state changes[0] is not ["+", record] or ["-", task id])");
    refused(R"({"format":"queue/1","changes":[["-","zz"]]})", error_code::invalid_argument,
            "queue-memory: state changes[0] removes task 'zz', which is not queued");
    refused(R"({"format":"queue/1","changes":[["+","[1]"]]})", error_code::invalid_argument, "");
    BOOST_TEST(ids(to) == strings{"a"}, boost::test_tools::per_element());
}

// The two strand steps of a handoff of 100,000 tasks, which are the swap's pause. Printed
// with --log_level=message; `make bench` records the pause a real swap measures.
BOOST_AUTO_TEST_CASE(the_handoff_pauses_of_100000_tasks_are_timed) {
    using clock = std::chrono::steady_clock;
    auto ms = [](clock::time_point a, clock::time_point b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
    };
    constexpr std::size_t n = 100000;
    queue_memory from({}, 1);
    queue_memory to({}, 2);
    for (std::size_t i = 0; i < n; ++i)
        from.enqueue(make_task("wf-" + std::to_string(i / 10) + "/step-" + std::to_string(i % 10),
                               static_cast<priority>(i % 4)));
    const auto t0 = clock::now();
    auto snapshot = from.begin_handoff(to.state_formats());
    const auto t1 = clock::now();
    to.import_state(snapshot());
    snapshot = nullptr;
    from.dequeue({});
    const auto t2 = clock::now();
    to.import_changes(from.finish_handoff());
    const auto t3 = clock::now();
    BOOST_TEST_MESSAGE("queue-memory handoff of " << n << " tasks: begin " << ms(t0, t1)
                                                  << " ms, copy off the strand " << ms(t1, t2)
                                                  << " ms, finish " << ms(t2, t3) << " ms");
    BOOST_TEST(to.stats().size == n - 1);
    BOOST_TEST(ids(to) == ids(from), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
