// queue-memory: the state a hot swap carries between generations (round trip, migration up
// and down, refusals that leave the queue as it was). The 100,000-task swap is timed and
// printed, never asserted.

#include "queue_memory_fixtures.hpp"

#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <sys/resource.h>

using namespace queue_memory_test;

BOOST_AUTO_TEST_SUITE(queue_memory_state_suite)

BOOST_AUTO_TEST_CASE(the_state_formats_are_the_documented_ones) {
    queue_memory v1({}, 1);
    queue_memory v2({}, 2);
    BOOST_TEST(v1.state_formats() == strings{"queue/1"}, boost::test_tools::per_element());
    BOOST_TEST(v2.state_formats() == (strings{"queue/2", "queue/1"}),
               boost::test_tools::per_element());

    auto a = make_task("a", priority::high);
    a.dependencies = {"z"};
    for (auto* q : {&v1, &v2}) {
        q->enqueue(make_task("b", priority::low));
        q->enqueue(a);
        q->enqueue(make_task("c", priority::urgent));
        q->dequeue({});
    }
    const std::string record_a =
        R"(["a","wf-1","step a","echo/v1","echo",{"text":"hello a"},["z"],1,30000,)"
        R"([1,2,1000,60000,1E-1],1,0,0])";
    const std::string record_b =
        R"(["b","wf-1","step b","echo/v1","echo",{"text":"hello b"},[],3,30000,)"
        R"([1,2,1000,60000,1E-1],1,0,0])";
    BOOST_TEST(
        json::serialize(v1.export_state({"queue/2", "queue/1"})) ==
        json::serialize(json::object{{"format", "queue/1"}, {"tasks", {record_a, record_b}}}));
    json::object levels{
        {"urgent", ""}, {"high", record_a + "\n"}, {"normal", ""}, {"low", record_b + "\n"}};
    BOOST_TEST(
        json::serialize(v2.export_state({"queue/2", "queue/1"})) ==
        json::serialize(json::object{{"format", "queue/2"},
                                     {"levels", levels},
                                     {"stats", {{"enqueued_total", 3}, {"dequeued_total", 1}}}}));
}

// Between every pair of formats, up and down: what the exporter writes for what the importer
// reads.
BOOST_AUTO_TEST_CASE(export_then_import_keeps_every_task_and_the_order) {
    const priority ps[] = {priority::low,    priority::urgent, priority::normal,
                           priority::urgent, priority::high,   priority::low};
    std::vector<task> want; // in dispatch order
    for (int i : {1, 3, 4, 2, 0, 5})
        want.push_back(unusual_task("t" + std::to_string(i), ps[i]));
    for (auto [from_format, to_format] : {std::pair{1, 1}, {2, 2}, {1, 2}, {2, 1}}) {
        BOOST_TEST_CONTEXT("format " << from_format << " to " << to_format) {
            queue_memory from({}, from_format);
            for (int i = 0; i < 6; ++i)
                from.enqueue(unusual_task("t" + std::to_string(i), ps[i]));
            queue_memory to({}, to_format);
            // Through text, as a state written out and read back would go.
            to.import_state(state_of(json::serialize(from.export_state(to.state_formats()))));
            BOOST_TEST(to.list(0, all) == from.list(0, all), boost::test_tools::per_element());
            // Only queue/2 carries the counters.
            BOOST_TEST(to.stats().enqueued_total == (to_format == 2 && from_format == 2 ? 6u : 0u));
            for (const auto& w : want) {
                auto got = to.dequeue({"llm/v2"});
                BOOST_REQUIRE(got.has_value());
                check_same(*got, w);
            }
            BOOST_TEST(to.stats().size == 0u);
            // The exporter is untouched: a swap that fails resumes it.
            BOOST_TEST(from.stats().size == 6u);
        }
    }
}

BOOST_AUTO_TEST_CASE(migration_from_format_1_to_format_2) {
    queue_memory v1({}, 1);
    v1.enqueue(make_task("n", priority::normal, "a/v1"));
    v1.enqueue(make_task("u", priority::urgent, "b/v1"));
    v1.enqueue(make_task("l", priority::low, "a/v1"));
    v1.dequeue({"b/v1"});
    v1.enqueue(make_task("h", priority::high, "b/v1"));

    queue_memory v2({}, 2);
    auto state = v1.export_state(v2.state_formats());
    BOOST_TEST(state.at("format").as_string() == "queue/1");
    v2.import_state(state);
    BOOST_TEST(ids(v2) == (strings{"h", "n", "l"}), boost::test_tools::per_element());
    BOOST_TEST(v2.stats().by_priority[1] == 1u);

    // v2 now writes its own format, grouped by level.
    auto again = v2.export_state(v2.state_formats());
    BOOST_TEST(again.at("format").as_string() == "queue/2");
    const auto& levels = again.at("levels").as_object();
    BOOST_TEST(levels.at("urgent").as_string() == "");
    BOOST_TEST(levels.at("high").as_string().starts_with(R"(["h",)"));
    BOOST_TEST(levels.at("normal").as_string().starts_with(R"(["n",)"));
    BOOST_TEST(levels.at("low").as_string().starts_with(R"(["l",)"));
    BOOST_TEST(drain(v2, {"a/v1"}) == (strings{"n", "l"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(down_migration_from_format_2_to_format_1) {
    queue_memory v2({}, 2);
    v2.enqueue(make_task("l", priority::low));
    v2.enqueue(make_task("u", priority::urgent));
    v2.enqueue(make_task("h", priority::high));
    v2.enqueue(make_task("u2", priority::urgent));

    queue_memory v1({}, 1);
    auto state = v2.export_state(v1.state_formats());
    BOOST_TEST(state.at("format").as_string() == "queue/1");
    BOOST_TEST(!state.contains("levels"));
    v1.import_state(state);
    BOOST_TEST(drain(v1) == (strings{"u", "u2", "h", "l"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(format_1_refuses_format_2) {
    queue_memory v1({}, 1);
    v1.enqueue(make_task("a"));
    check_refused([&] { v1.export_state({"queue/2"}); }, error_code::state_format,
                  "queue-memory: cannot write any of [queue/2]; it writes [queue/1]");
    check_refused([&] { v1.export_state({}); }, error_code::state_format,
                  "queue-memory: cannot write any of []; it writes [queue/1]");

    queue_memory v2({}, 2);
    v2.enqueue(make_task("b"));
    auto state = v2.export_state({"queue/2"});
    check_refused([&] { v1.import_state(state); }, error_code::state_format,
                  "queue-memory: cannot read state format 'queue/2'; it reads [queue/1]");
    BOOST_TEST(ids(v1) == strings{"a"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_bad_state_leaves_the_queue_as_it_was) {
    const std::string good = R"(["g","w","n","echo/v1","m",{},[],2,1,[1,2,3,4,0.5],1,0,0])";
    // `good` with element `i` replaced by the JSON text `value`.
    auto good_but = [&](std::size_t i, const std::string& value) {
        auto r = json::parse(good).as_array();
        r[i] = json::parse(value);
        return json::serialize(r);
    };
    // A queue/1 state of `good` then `record`.
    auto v1_with = [&](const std::string& record) {
        return json::serialize(json::object{{"format", "queue/1"}, {"tasks", {good, record}}});
    };
    // A queue/2 state of `good` (priority normal) under normal, and `urgent` under urgent.
    auto v2_with = [&](const std::string& urgent) {
        return json::serialize(json::object{
            {"format", "queue/2"},
            {"levels", {{"urgent", urgent}, {"high", ""}, {"normal", good + "\n"}, {"low", ""}}},
            {"stats", {{"enqueued_total", 1}, {"dequeued_total", 0}}}});
    };
    const std::string v2_empty = R"({"urgent":"","high":"","normal":"","low":""})";
    const std::string v2_stats = R"({"enqueued_total":1,"dequeued_total":0})";
    const std::string task1 = "queue-memory: state tasks[1]";
    const std::string element = task1 + ": element ";
    // The limits of plugin-api's codec (types.cpp), which the dequeued task goes through.
    const std::string duration = "an integer 0 to 2592000000 (ms: at most 30 days)";
    const std::string timeout = "timeout: " + duration;
    struct bad_state {
        std::string name;
        std::string state;
        error_code code;
        std::string message;
    };
    const auto invalid = error_code::invalid_argument;
    const std::vector<bad_state> cases{
        {"empty", "{}", error_code::state_format,
         "queue-memory: the state names no format; it reads [queue/2, queue/1]"},
        {"format not a string", R"({"format":1,"tasks":[]})", error_code::state_format,
         "queue-memory: the state names no format; it reads [queue/2, queue/1]"},
        {"unknown format", R"({"format":"queue/3","tasks":[]})", error_code::state_format,
         "queue-memory: cannot read state format 'queue/3'; it reads [queue/2, queue/1]"},
        {"no tasks", R"({"format":"queue/1"})", invalid, "queue-memory: state has no 'tasks'"},
        {"extra key", R"({"format":"queue/1","tasks":[],"x":1})", invalid,
         "queue-memory: state has an unknown key 'x'"},
        {"tasks not an array", R"({"format":"queue/1","tasks":{}})", invalid,
         "queue-memory: state tasks is not an array"},
        {"task not a string", R"({"format":"queue/1","tasks":[[]]})", invalid,
         "queue-memory: state tasks[0] is not a string"},
        {"not JSON", v1_with(R"(["x",)"), invalid, task1 + ": is not JSON: incomplete JSON"},
        {"not an array", v1_with(R"({"id":"x"})"), invalid, task1 + ": is not an array"},
        {"12 elements", v1_with(R"(["x","w","n","p","m",{},[],2,1,[1,2,3,4,0.5],1,0])"), invalid,
         task1 + ": has fewer than 13 elements"},
        {"14 elements", v1_with(R"(["x","w","n","p","m",{},[],2,1,[1,2,3,4,0.5],1,0,0,0])"),
         invalid, task1 + ": has more than 13 elements"},
        {"id a number", v1_with(good_but(0, "1")), invalid, element + "0 must be id: a string"},
        {"params an array", v1_with(good_but(5, "[]")), invalid,
         element + "5 must be params: an object"},
        {"dependency a number", v1_with(good_but(6, "[1]")), invalid,
         element + "6 must be dependencies: an array of strings"},
        {"priority 4", v1_with(good_but(7, "4")), invalid,
         element + "7 must be priority: an integer 0 (urgent) to 3 (low)"},
        {"timeout a float", v1_with(good_but(8, "1.5")), invalid, element + "8 must be " + timeout},
        {"timeout negative", v1_with(good_but(8, "-1")), invalid, element + "8 must be " + timeout},
        {"timeout over 30 days", v1_with(good_but(8, "2592000001")), invalid,
         element + "8 must be " + timeout},
        {"retry short", v1_with(good_but(9, "[1,2,3,4]")), invalid,
         element + "9 must be retry: [max_attempts, backoff 0 to 2, base_delay ms, max_delay ms, "
                   "jitter]"},
        {"retry long", v1_with(good_but(9, "[1,2,3,4,0.5,6]")), invalid,
         element + "9 must be retry: [max_attempts, backoff 0 to 2, base_delay ms, max_delay ms, "
                   "jitter]"},
        {"retry an object", v1_with(good_but(9, "{}")), invalid,
         element + "9 must be retry: [max_attempts, backoff 0 to 2, base_delay ms, max_delay ms, "
                   "jitter]"},
        {"max_attempts 0", v1_with(good_but(9, "[0,2,3,4,0.5]")), invalid,
         element + "9[0] must be max_attempts: an integer 1 to 4294967295"},
        {"backoff 3", v1_with(good_but(9, "[1,3,3,4,0.5]")), invalid,
         element + "9[1] must be backoff: an integer 0 (fixed) to 2 (exponential)"},
        {"base_delay negative", v1_with(good_but(9, "[1,2,-1,4,0.5]")), invalid,
         element + "9[2] must be base_delay: " + duration},
        {"max_delay over 30 days", v1_with(good_but(9, "[1,2,3,2592000001,0.5]")), invalid,
         element + "9[3] must be max_delay: " + duration},
        {"max_delay beyond int64", v1_with(good_but(9, "[1,2,3,9223372036854775808,0.5]")), invalid,
         element + "9[3] must be max_delay: " + duration},
        {"jitter over 1", v1_with(good_but(9, "[1,2,3,4,1.5]")), invalid,
         element + "9[4] must be jitter: a number 0 to 1"},
        {"jitter 2", v1_with(good_but(9, "[1,2,3,4,2]")), invalid,
         element + "9[4] must be jitter: a number 0 to 1"},
        {"jitter negative", v1_with(good_but(9, "[1,2,3,4,-1e-9]")), invalid,
         element + "9[4] must be jitter: a number 0 to 1"},
        {"jitter huge", v1_with(good_but(9, "[1,2,3,4,1e300]")), invalid,
         element + "9[4] must be jitter: a number 0 to 1"},
        {"jitter a string", v1_with(good_but(9, R"([1,2,3,4,"0.5"])")), invalid,
         element + "9[4] must be jitter: a number 0 to 1"},
        {"state 8", v1_with(good_but(10, "8")), invalid,
         element + "10 must be state: an integer 0 (pending) to 7 (skipped)"},
        {"attempt negative", v1_with(good_but(11, "-1")), invalid,
         element + "11 must be attempt: an unsigned 32-bit integer"},
        {"due_ms negative", v1_with(good_but(12, "-7")), invalid,
         element + "12 must be due_ms: an integer >= 0 (Unix ms, 0: now)"},
        {"due_ms a float", v1_with(good_but(12, "0.5")), invalid,
         element + "12 must be due_ms: an integer >= 0 (Unix ms, 0: now)"},
        // json::parse, which dequeue uses, refuses what follows a document: taken, the task
        // would fail its dequeue and be lost.
        {"data after the array", v1_with(good + ","), invalid,
         task1 + ": has data after its array"},
        {"two arrays", v1_with(good + good), invalid, task1 + ": has data after its array"},
        {"v2 data after the array", v2_with(good + " x\n"), invalid,
         "queue-memory: state levels.urgent[0]: has data after its array"},
        {"empty id", v1_with(good_but(0, R"("")")), invalid, task1 + " has an empty id"},
        {"listed twice", v1_with(good), invalid, task1 + ": task 'g' is listed twice"},
        {"v2 level mismatch", v2_with(good + "\n"), invalid,
         "queue-memory: state levels.urgent[0] (task 'g') has another priority than its level"},
        {"v2 no final newline", v2_with(good), invalid,
         "queue-memory: state levels.urgent does not end with a newline"},
        {"v2 empty line", v2_with("\n"), invalid,
         "queue-memory: state levels.urgent[0]: is not JSON: incomplete JSON"},
        {"v2 levels as arrays",
         R"({"format":"queue/2","levels":{"urgent":[],"high":[],"normal":[],"low":[]},"stats":)" +
             v2_stats + "}",
         invalid, "queue-memory: state levels.urgent is not a string"},
        {"v2 missing level",
         R"({"format":"queue/2","levels":{"urgent":"","high":"","normal":""},"stats":)" + v2_stats +
             "}",
         invalid, "queue-memory: state levels has no 'low'"},
        {"v2 negative counter",
         R"({"format":"queue/2","levels":)" + v2_empty +
             R"(,"stats":{"enqueued_total":-1,"dequeued_total":0}})",
         invalid, "queue-memory: state stats.enqueued_total is not an unsigned integer"},
        {"v2 no stats", R"({"format":"queue/2","levels":)" + v2_empty + "}", invalid,
         "queue-memory: state has no 'stats'"},
    };

    queue_memory q({}, 2);
    q.enqueue(make_task("keep-low", priority::low));
    q.enqueue(make_task("keep-urgent", priority::urgent));
    const strings before = ids(q);
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            auto state = state_of(c.state);
            check_refused([&] { q.import_state(state); }, c.code, c.message);
            BOOST_TEST(ids(q) == before, boost::test_tools::per_element());
            auto s = q.stats();
            BOOST_TEST(s.size == 2u);
            BOOST_TEST(s.by_priority[0] == 1u);
            BOOST_TEST(s.by_priority[3] == 1u);
            BOOST_TEST(s.enqueued_total == 2u);
        }
    }
    // The good record of the refused states did not get in: "g" is free.
    q.enqueue(make_task("g"));
    BOOST_TEST(drain(q) == (strings{"keep-urgent", "g", "keep-low"}),
               boost::test_tools::per_element());
}

// The edges of each range are taken, and such a task dequeues and goes through the hub's
// codec; whitespace after a record's array is no data (json::parse skips it too).
BOOST_AUTO_TEST_CASE(records_at_the_limits_import_and_dequeue) {
    const std::string low = R"(["low","w","n","echo/v1","m",{},[],2,0,[1,0,0,0,0],1,0,0])";
    const std::string high =
        R"(["high","w","n","echo/v1","m",{},[],2,2592000000,)"
        R"([4294967295,2,2592000000,2592000000,1.0],1,4294967295,9223372036854775807])";
    for (int build : {1, 2}) {
        BOOST_TEST_CONTEXT("build " << build) {
            queue_memory q({}, build);
            q.import_state(state_of(json::serialize(
                json::object{{"format", "queue/1"}, {"tasks", {low + " \n", high}}})));
            auto a = q.dequeue({});
            BOOST_TEST_REQUIRE(a.has_value());
            BOOST_TEST(a->id == "low");
            BOOST_TEST(a->retry.jitter == 0.0);
            auto b = q.dequeue({});
            BOOST_TEST_REQUIRE(b.has_value());
            BOOST_TEST(b->timeout.count() == 2592000000);
            BOOST_TEST(b->retry.max_delay.count() == 2592000000);
            BOOST_TEST(b->retry.jitter == 1.0);
            BOOST_TEST(b->due_ms == 9223372036854775807);
            for (const auto& t : {*a, *b})
                BOOST_CHECK_NO_THROW(json::value_to<task>(json::value_from(t)));
        }
    }
}

BOOST_AUTO_TEST_CASE(import_replaces_what_was_queued) {
    queue_memory from({}, 1);
    from.enqueue(make_task("new"));
    queue_memory to({}, 1);
    to.enqueue(make_task("old"));
    to.import_state(from.export_state({"queue/1"}));
    BOOST_TEST(ids(to) == strings{"new"}, boost::test_tools::per_element());
    to.enqueue(make_task("old"));
    BOOST_TEST(ids(to) == (strings{"new", "old"}), boost::test_tools::per_element());
}

// The pause of a hot swap: export_state of the old generation plus import_state of the new,
// with 100,000 queued tasks shaped like a workflow's (ids of 18 characters, two params). Run
// with --log_level=message to see the figures, with the page faults of each step: memory the
// process touches for the first time costs more than the work on it in some VMs.
BOOST_AUTO_TEST_CASE(swap_of_100000_tasks_is_timed) {
    using clock = std::chrono::steady_clock;
    struct mark {
        clock::time_point at = clock::now();
        long faults = [] {
            rusage ru{};
            getrusage(RUSAGE_THREAD, &ru);
            return ru.ru_minflt + ru.ru_majflt;
        }();
    };
    auto step = [](const mark& a, const mark& b) {
        std::ostringstream out;
        out << std::chrono::duration<double, std::milli>(b.at - a.at).count() << " ms ("
            << b.faults - a.faults << " page faults)";
        return out.str();
    };
    constexpr std::size_t n = 100000;
    const char* protocols[] = {"echo/v1", "llm/v1", "http/v1"};
    for (int format : {1, 2}) {
        queue_memory from({}, format);
        for (std::size_t i = 0; i < n; ++i) {
            char wf[16];
            std::snprintf(wf, sizeof wf, "wf-%08x", static_cast<unsigned>(i / 10 * 2654435761u));
            task t = make_task(std::string(wf) + "/step-" + std::to_string(i % 10),
                               static_cast<priority>(i % 4), protocols[i % 3]);
            t.workflow_id = wf;
            t.params = {{"text", "hello " + std::to_string(i)}, {"n", i}};
            if (i % 10 != 0)
                t.dependencies = {std::string(wf) + "/step-" + std::to_string(i % 10 - 1)};
            from.enqueue(std::move(t));
        }
        const strings head = from.list(0, 3);
        const strings tail = from.list(n - 3, 3);
        for (int round = 1; round <= 3; ++round) {
            queue_memory to({}, format);
            const mark start;
            auto state = from.export_state(to.state_formats());
            const mark exported;
            to.import_state(state);
            const mark imported;
            state = {};
            const mark freed;
            const double pause =
                std::chrono::duration<double, std::milli>(imported.at - start.at).count();
            BOOST_TEST_MESSAGE("queue-memory format "
                               << format << ", " << n << " tasks, round " << round
                               << ": export + import = " << pause << " ms; export "
                               << step(start, exported) << ", import " << step(exported, imported)
                               << ", then freeing the state " << step(imported, freed));
            BOOST_TEST(to.stats().size == n);
            BOOST_TEST(to.stats().by_priority[3] == n / 4);
            BOOST_TEST(to.list(0, 3) == head, boost::test_tools::per_element());
            BOOST_TEST(to.list(n - 3, 3) == tail, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

