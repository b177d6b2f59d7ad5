// queue-memory: dispatch order, protocol filters, remove, limits and config.

#include "queue_memory_fixtures.hpp"

#include <sys/resource.h>

using namespace queue_memory_test;

BOOST_AUTO_TEST_SUITE(queue_memory_suite)

BOOST_AUTO_TEST_CASE(priority_order_then_fifo_within_a_level) {
    queue_memory q({}, 1);
    q.enqueue(make_task("n1", priority::normal));
    q.enqueue(make_task("l1", priority::low));
    q.enqueue(make_task("u1", priority::urgent));
    q.enqueue(make_task("h1", priority::high));
    q.enqueue(make_task("n2", priority::normal));
    q.enqueue(make_task("u2", priority::urgent));
    q.enqueue(make_task("l2", priority::low));
    q.enqueue(make_task("h2", priority::high));

    const strings order{"u1", "u2", "h1", "h2", "n1", "n2", "l1", "l2"};
    BOOST_TEST(ids(q) == order, boost::test_tools::per_element());
    BOOST_TEST(drain(q) == order, boost::test_tools::per_element());
    BOOST_TEST(!q.dequeue({}).has_value());
}

BOOST_AUTO_TEST_CASE(dequeue_takes_the_first_task_of_the_asked_protocols) {
    queue_memory q({}, 1);
    q.enqueue(make_task("a-normal", priority::normal, "a/v1"));
    q.enqueue(make_task("b-normal", priority::normal, "b/v1"));
    q.enqueue(make_task("c-high", priority::high, "c/v1"));
    q.enqueue(make_task("a-low", priority::low, "a/v1"));
    q.enqueue(make_task("b-urgent", priority::urgent, "b/v1"));
    q.enqueue(make_task("a-normal-2", priority::normal, "a/v1"));

    BOOST_TEST(!q.dequeue({"unknown/v1"}).has_value());
    // One protocol: its most urgent task, even behind others' more urgent ones.
    BOOST_TEST(q.dequeue({"a/v1"})->id == "a-normal");
    // Several: the most urgent among them, then the earliest within the level.
    BOOST_TEST(q.dequeue({"a/v1", "c/v1"})->id == "c-high");
    BOOST_TEST(q.dequeue({"c/v1", "a/v1", "b/v1"})->id == "b-urgent");
    BOOST_TEST(q.dequeue({"a/v1", "b/v1"})->id == "b-normal");
    BOOST_TEST(q.dequeue({"zzz/v1", "a/v1", "a/v1"})->id == "a-normal-2");
    BOOST_TEST(!q.dequeue({"b/v1", "c/v1"}).has_value());
    BOOST_TEST(ids(q) == strings{"a-low"}, boost::test_tools::per_element());
    // No protocols: any.
    BOOST_TEST(q.dequeue({})->id == "a-low");
    BOOST_TEST(q.stats().size == 0u);

    // A protocol whose tasks all went can come back.
    q.enqueue(make_task("a-again", priority::low, "a/v1"));
    BOOST_TEST(q.dequeue({"a/v1"})->id == "a-again");
}

BOOST_AUTO_TEST_CASE(dequeue_returns_the_whole_task) {
    queue_memory q({}, 1);
    const task want = unusual_task("t", priority::high);
    q.enqueue(want);
    auto got = q.dequeue({"llm/v2"});
    BOOST_REQUIRE(got.has_value());
    check_same(*got, want);
}

BOOST_AUTO_TEST_CASE(remove_takes_a_queued_task_out_and_reports_an_absent_one) {
    queue_memory q({}, 1);
    q.enqueue(make_task("a", priority::normal, "x/v1"));
    q.enqueue(make_task("b", priority::normal, "x/v1"));
    q.enqueue(make_task("c", priority::high, "y/v1"));
    q.enqueue(make_task("d", priority::normal, "x/v1"));

    BOOST_TEST(q.remove("b"));
    BOOST_TEST(!q.remove("b"));
    BOOST_TEST(!q.remove("nope"));
    BOOST_TEST(ids(q) == (strings{"c", "a", "d"}), boost::test_tools::per_element());
    BOOST_TEST(q.remove("c")); // the only task of y/v1
    BOOST_TEST(!q.dequeue({"y/v1"}).has_value());
    BOOST_TEST(drain(q, {"x/v1"}) == (strings{"a", "d"}), boost::test_tools::per_element());
    BOOST_TEST(q.stats().size == 0u);
    BOOST_TEST(q.stats().dequeued_total == 2u); // removals are not dequeues
}

BOOST_AUTO_TEST_CASE(a_queued_id_is_refused_until_it_leaves) {
    queue_memory q({}, 1);
    q.enqueue(make_task("a", priority::low));
    check_refused([&] { q.enqueue(make_task("a", priority::urgent)); },
                  error_code::invalid_argument, "queue-memory: task 'a' is already queued");
    BOOST_TEST(ids(q) == strings{"a"}, boost::test_tools::per_element());
    BOOST_TEST(q.stats().by_priority[0] == 0u);
    BOOST_TEST(q.stats().enqueued_total == 1u);

    BOOST_TEST(q.dequeue({})->id == "a");
    q.enqueue(make_task("a", priority::urgent));
    BOOST_TEST(q.stats().by_priority[0] == 1u);
}

BOOST_AUTO_TEST_CASE(enqueue_refuses_tasks_a_record_cannot_carry) {
    queue_memory q({}, 1);
    auto no_id = make_task("");
    auto bad_priority = make_task("p");
    bad_priority.priority = static_cast<priority>(4);
    auto bad_jitter = make_task("j");
    bad_jitter.retry.jitter = std::numeric_limits<double>::quiet_NaN();
    auto too_deep = make_task("d"); // deeper than any importer reads back
    json::value deep = json::array{};
    for (int i = 0; i < 5000; ++i)
        deep = json::array{deep};
    too_deep.params["deep"] = deep;
    for (const auto& t : {no_id, bad_priority, bad_jitter, too_deep}) {
        check_refused([&] { q.enqueue(t); }, error_code::invalid_argument);
    }
    BOOST_TEST(q.stats().size == 0u);
}

BOOST_AUTO_TEST_CASE(max_size_refuses_beyond_it) {
    queue_memory q(config(R"({"max_size": 2})"), 1);
    q.enqueue(make_task("a"));
    q.enqueue(make_task("b"));
    check_refused([&] { q.enqueue(make_task("c")); }, error_code::invalid_argument,
                  "queue full: 2 tasks (max_size 2); task 'c' refused");
    BOOST_TEST(ids(q) == (strings{"a", "b"}), boost::test_tools::per_element());
    BOOST_TEST(q.stats().enqueued_total == 2u);

    BOOST_TEST(q.remove("a"));
    q.enqueue(make_task("c"));
    BOOST_TEST(ids(q) == (strings{"b", "c"}), boost::test_tools::per_element());

    queue_memory unlimited(config(R"({"max_size": 0})"), 2);
    for (int i = 0; i < 1000; ++i)
        unlimited.enqueue(make_task(std::to_string(i)));
    BOOST_TEST(unlimited.stats().size == 1000u);
}

BOOST_AUTO_TEST_CASE(config_is_checked) {
    check_refused([] { queue_memory q(config(R"({"max_size": 3, "x": 1})"), 1); },
                  error_code::invalid_argument, "queue-memory: unknown config key 'x'");

    for (auto bad : {R"({"max_size": -1})", R"({"max_size": "10"})", R"({"max_size": 1.5})"}) {
        check_refused([&] { queue_memory q(config(bad), 2); }, error_code::invalid_argument,
                      "queue-memory: max_size must be an integer >= 0 (0: unlimited)");
    }
}

BOOST_AUTO_TEST_CASE(stats_count_by_priority_and_in_total) {
    queue_memory q({}, 1);
    q.enqueue(make_task("u", priority::urgent));
    q.enqueue(make_task("h1", priority::high));
    q.enqueue(make_task("h2", priority::high));
    q.enqueue(make_task("l", priority::low));
    q.enqueue(make_task("n", priority::normal));
    q.dequeue({});
    q.remove("l");
    auto s = q.stats();
    BOOST_TEST(s.size == 3u);
    BOOST_TEST(s.by_priority[0] == 0u);
    BOOST_TEST(s.by_priority[1] == 2u);
    BOOST_TEST(s.by_priority[2] == 1u);
    BOOST_TEST(s.by_priority[3] == 0u);
    BOOST_TEST(s.enqueued_total == 5u);
    BOOST_TEST(s.dequeued_total == 1u);
}

BOOST_AUTO_TEST_CASE(list_pages_through_dispatch_order) {
    queue_memory q({}, 1);
    q.enqueue(make_task("n1", priority::normal));
    q.enqueue(make_task("u1", priority::urgent));
    q.enqueue(make_task("n2", priority::normal));
    q.enqueue(make_task("l1", priority::low));
    q.enqueue(make_task("u2", priority::urgent));
    // Dispatch order: u1 u2 n1 n2 l1.
    BOOST_TEST(q.list(0, 2) == (strings{"u1", "u2"}), boost::test_tools::per_element());
    BOOST_TEST(q.list(1, 2) == (strings{"u2", "n1"}), boost::test_tools::per_element());
    BOOST_TEST(q.list(2, 10) == (strings{"n1", "n2", "l1"}), boost::test_tools::per_element());
    BOOST_TEST(q.list(3, 1) == strings{"n2"}, boost::test_tools::per_element());
    BOOST_TEST(q.list(4, all) == strings{"l1"}, boost::test_tools::per_element());
    BOOST_TEST(q.list(5, 3).empty());
    BOOST_TEST(q.list(0, 0).empty());
}


BOOST_AUTO_TEST_SUITE_END()
