// persistence-sqlite on a real SQLite file in a fresh directory per test.
#include "persistence_sqlite_fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <random>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

using namespace persistence_sqlite_test;
using gleitzeit::error_code;
using gleitzeit::persistence;
using gleitzeit::persistence_sqlite;
using gleitzeit::task_state;
using gleitzeit::workflow_state;

BOOST_AUTO_TEST_SUITE(persistence_sqlite_suite)

BOOST_AUTO_TEST_CASE(wal_mode_foreign_keys_and_schema_version) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    persistence_sqlite p(config_for(path));
    raw_db raw(path);
    BOOST_TEST(raw.value("PRAGMA journal_mode") == "wal");
    BOOST_TEST(raw.value("PRAGMA user_version") == "2");
    BOOST_TEST(raw.rows("SELECT name FROM sqlite_master ORDER BY name") ==
                   (std::vector<std::string>{
                       "events", "events_by_workflow", "results", "sqlite_autoindex_results_1",
                       "sqlite_autoindex_tasks_1", "sqlite_autoindex_workflows_1", "tasks",
                       "tasks_by_workflow", "workflows", "workflows_unfinished"}),
               boost::test_tools::per_element());
    BOOST_TEST(p.state_formats().empty());
}

BOOST_AUTO_TEST_CASE(save_then_reopen_loads_exactly_what_was_saved) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    // Created in the order w2, w1; tasks first saved in the order c, a, b.
    auto w2 = workflow_of("w2", workflow_state::running);
    auto w1 = workflow_of("w1", workflow_state::pending);
    w1.on_failure = gleitzeit::failure_policy::fail_fast;
    auto c = full_task("c", "w2");
    auto a = full_task("a", "w2");
    a.state = task_state::executing;
    a.priority = gleitzeit::priority::urgent;
    auto b = full_task("b", "");
    b.params = {};
    b.dependencies = {};
    {
        persistence_sqlite p(config_for(path));
        persistence::batch first;
        first.workflows = {w2, w1};
        first.tasks = {c, a};
        p.save(first);
        // b travels inside its workflow, without a workflow_id of its own; a changes later
        // and must keep its place.
        w2.tasks = {b};
        a.attempt = 3;
        a.due_ms = 42;
        persistence::batch second;
        second.workflows = {w2};
        second.tasks = {a};
        p.save(second);
    }
    persistence_sqlite reopened(config_for(path));
    const auto loaded = reopened.load_unfinished();
    BOOST_TEST_REQUIRE(loaded.size() == 2u);
    b.workflow_id = "w2";
    auto expected_w2 = workflow_of("w2", workflow_state::running);
    expected_w2.tasks = {c, a, b};
    BOOST_TEST(json_of(loaded[0]) == json_of(expected_w2));
    BOOST_TEST(json_of(loaded[1]) == json_of(w1));
    // The same, field by field, for the task whose fields all changed from the defaults.
    const auto& t = loaded[0].tasks[0];
    BOOST_TEST(t.id == "c");
    BOOST_TEST(t.workflow_id == "w2");
    BOOST_TEST(t.name == "name of c");
    BOOST_TEST(t.protocol == "echo/v1");
    BOOST_TEST(t.method == "delay");
    BOOST_TEST(boost::json::serialize(t.params) == boost::json::serialize(c.params));
    BOOST_TEST(t.dependencies == c.dependencies, boost::test_tools::per_element());
    BOOST_TEST(to_string(t.priority) == "high");
    BOOST_TEST(t.timeout.count() == 1234);
    BOOST_TEST(t.retry.max_attempts == 5u);
    BOOST_TEST(to_string(t.retry.kind) == "linear");
    BOOST_TEST(t.retry.base_delay.count() == 250);
    BOOST_TEST(t.retry.max_delay.count() == 9000);
    BOOST_TEST(t.retry.jitter == 0.25);
    BOOST_TEST(to_string(t.state) == "retry_pending");
    BOOST_TEST(t.attempt == 2u);
    BOOST_TEST(t.due_ms == 1700000000123);
    BOOST_TEST(loaded[0].tasks[1].attempt == 3u);
    BOOST_TEST(loaded[0].tasks[1].due_ms == 42);
    BOOST_TEST(to_string(loaded[0].tasks[1].state) == "executing");
}

BOOST_AUTO_TEST_CASE(finished_workflows_are_not_loaded) {
    temp_dir dir;
    persistence_sqlite p(config_for(dir.file("state.db")));
    persistence::batch b;
    b.workflows = {
        workflow_of("done", workflow_state::completed), workflow_of("run", workflow_state::running),
        workflow_of("bad", workflow_state::failed), workflow_of("stop", workflow_state::cancelled),
        workflow_of("wait", workflow_state::pending)};
    b.tasks = {full_task("t-done", "done"), full_task("t-run", "run")};
    p.save(b);
    // A workflow that finishes later leaves the set too.
    persistence::batch later;
    later.workflows = {workflow_of("wait", workflow_state::completed)};
    p.save(later);
    std::vector<std::string> ids;
    for (const auto& w : p.load_unfinished())
        ids.push_back(w.id + ":" + std::to_string(w.tasks.size()));
    BOOST_TEST(ids == (std::vector<std::string>{"run:1"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_archive_loads_any_saved_workflow_by_id_with_its_state) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    auto done = workflow_of("done", workflow_state::running);
    auto first = full_task("first", "done");
    auto second = full_task("second", "done");
    {
        persistence_sqlite p(config_for(path));
        persistence::batch b;
        b.workflows = {done, workflow_of("other", workflow_state::running)};
        b.tasks = {first, second, full_task("elsewhere", "other")};
        p.save(b);
        // It finishes: the workflow's row and the tasks' rows change later.
        done.state = workflow_state::completed;
        first.state = task_state::completed;
        second.state = task_state::skipped;
        second.attempt = 2;
        persistence::batch end;
        end.workflows = {done};
        end.tasks = {first, second};
        p.save(end);
    }
    persistence_sqlite reopened(config_for(path));
    gleitzeit::workflow_archive& archive = reopened;
    auto loaded = archive.load_workflow("done");
    BOOST_TEST_REQUIRE(loaded.has_value());
    BOOST_TEST(gleitzeit::to_string(loaded->state) == "completed"); // from the column
    auto expected = workflow_of("done", workflow_state::completed);
    expected.tasks = {first, second};
    BOOST_TEST(json_of(*loaded) == json_of(expected));
    BOOST_TEST(archive.load_workflow("other")->tasks.size() == 1u);
    BOOST_TEST(!archive.load_workflow("nobody").has_value());
}

BOOST_AUTO_TEST_CASE(a_result_is_stored_exactly_once) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    persistence_sqlite p(config_for(path));
    persistence::batch b;
    b.workflows = {workflow_of("w", workflow_state::running)};
    b.tasks = {full_task("ok", "w"), full_task("ko", "w")};
    gleitzeit::task_result first{"ok", boost::json::value{{"answer", 42}}, {}, "echo-1", 1.5};
    gleitzeit::task_result failed{"ko", {}, gleitzeit::task_error{}, "echo-2", 2.0};
    failed.error->message = "boom";
    failed.error->retryable = false;
    b.results = {first, failed};
    p.save(b);
    persistence::batch again;
    again.results = {gleitzeit::task_result{"ok", boost::json::value(7), {}, "echo-9", 9.0}};
    p.save(again); // not an error: delivery is at least once
    BOOST_TEST(json_of(*p.load_result("ok")) == json_of(first));
    BOOST_TEST(json_of(*p.load_result("ko")) == json_of(failed));
    BOOST_TEST(!p.load_result("nobody").has_value());
    raw_db raw(path);
    BOOST_TEST(raw.rows("SELECT task_id, ok, provider, duration_ms FROM results ORDER BY 1") ==
                   (std::vector<std::string>{"ko|0|echo-2|2.0", "ok|1|echo-1|1.5"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(events_are_appended_in_order) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    persistence_sqlite p(config_for(path));
    persistence::batch one;
    one.events = {{{"event", "workflow_started"}, {"n", 1}}, {{"event", "task_started"}}};
    p.save(one);
    persistence::batch two;
    two.events = {{{"event", "task_completed"}, {"n", 3}}};
    p.save(two);
    raw_db raw(path);
    BOOST_TEST(raw.rows("SELECT seq, json FROM events ORDER BY seq") ==
                   (std::vector<std::string>{R"(1|{"event":"workflow_started","n":1})",
                                             R"(2|{"event":"task_started"})",
                                             R"(3|{"event":"task_completed","n":3})"}),
               boost::test_tools::per_element());
    BOOST_TEST(raw.value("SELECT count(*) FROM events WHERE at_ms < 1600000000000") == "0");
}

BOOST_AUTO_TEST_CASE(a_failed_batch_rolls_back_entirely) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    persistence_sqlite p(config_for(path));
    persistence::batch before;
    before.workflows = {workflow_of("w1", workflow_state::pending)};
    p.save(before);

    persistence::batch bad;
    bad.workflows = {workflow_of("w1", workflow_state::running),
                     workflow_of("w2", workflow_state::running)};
    bad.tasks = {full_task("fine", "w2"), full_task("lost", "nope")};
    bad.events = {{{"event", "workflow_started"}}};
    BOOST_TEST(throws_exactly([&] { p.save(bad); }, error_code::invalid_argument,
                              "persistence-sqlite: cannot save task 'lost' of workflow 'nope': "
                              "FOREIGN KEY constraint failed (workflow 'nope' is not saved)"));
    raw_db raw(path);
    BOOST_TEST(raw.rows("SELECT id, state FROM workflows") ==
                   (std::vector<std::string>{"w1|pending"}),
               boost::test_tools::per_element());
    BOOST_TEST(raw.value("SELECT count(*) FROM tasks") == "0");
    BOOST_TEST(raw.value("SELECT count(*) FROM events") == "0");

    persistence::batch orphan;
    orphan.results = {gleitzeit::task_result{"ghost", boost::json::value(1), {}, "p", 1}};
    BOOST_TEST(throws_exactly([&] { p.save(orphan); }, error_code::invalid_argument,
                              "persistence-sqlite: cannot save the result of task 'ghost': "
                              "FOREIGN KEY constraint failed (task 'ghost' is not saved)"));

    // The connection is usable after a refusal, and a task cannot move to another workflow.
    persistence::batch good;
    good.workflows = {workflow_of("w2", workflow_state::running)};
    good.tasks = {full_task("t", "w1")};
    p.save(good);
    persistence::batch moved;
    moved.tasks = {full_task("t", "w2")};
    BOOST_TEST(throws_exactly([&] { p.save(moved); }, error_code::invalid_argument,
                              "persistence-sqlite: cannot save task 't' of workflow 'w2': the "
                              "task is saved under another workflow"));
    BOOST_TEST(raw.rows("SELECT id, workflow_id FROM tasks") == (std::vector<std::string>{"t|w1"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(config_is_checked) {
    temp_dir dir;
    BOOST_TEST(throws_exactly(
        [&] {
            persistence_sqlite p({{"path", dir.file("x.db")}, {"journal", "wal"}});
        },
        error_code::invalid_argument, "persistence-sqlite: unknown config key 'journal'"));
    BOOST_TEST(throws_exactly(
        [&] {
            persistence_sqlite p({{"path", dir.file("x.db")}, {"synchronous", "off"}});
        },
        error_code::invalid_argument,
        R"(persistence-sqlite: synchronous must be "full" or "normal", not "off")"));
    BOOST_TEST(throws_exactly(
        [&] {
            persistence_sqlite p({{"path", 3}});
        },
        error_code::invalid_argument,
        "persistence-sqlite: path must be a non-empty string (the "
        "database file)"));
    persistence_sqlite normal({{"path", dir.file("n.db")}, {"synchronous", "normal"}});
    BOOST_TEST(normal.path() == dir.file("n.db"));
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_opened_is_refused) {
    temp_dir dir;
    const auto missing = dir.file("no/such/dir/state.db");
    BOOST_TEST(throws_exactly([&] { persistence_sqlite p(config_for(missing)); },
                              error_code::plugin_error,
                              "persistence-sqlite: cannot open database '" + missing +
                                  "': unable to open database file"));
    const auto garbage = dir.file("garbage.db");
    {
        std::ofstream out(garbage);
        out << std::string(4096, 'x');
    }
    BOOST_TEST(throws_exactly(
        [&] { persistence_sqlite p(config_for(garbage)); }, error_code::plugin_error,
        "persistence-sqlite: cannot open database '" + garbage + "': file is not a database"));
}

BOOST_AUTO_TEST_CASE(a_newer_schema_is_refused) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    { persistence_sqlite p(config_for(path)); }
    raw_db(path).exec("PRAGMA user_version = 9");
    BOOST_TEST(throws_exactly([&] { persistence_sqlite p(config_for(path)); },
                              error_code::plugin_error,
                              "persistence-sqlite: database '" + path +
                                  "' has schema version 9, newer than the 2 this plugin knows"));
}

BOOST_AUTO_TEST_CASE(recovery_plan_requeues_ready_retries_and_executing) {
    temp_dir dir;
    persistence_sqlite p(config_for(dir.file("state.db")));
    persistence::batch b;
    b.workflows = {workflow_of("w", workflow_state::running)};
    const task_state states[] = {task_state::pending,   task_state::ready,
                                 task_state::executing, task_state::retry_pending,
                                 task_state::completed, task_state::skipped};
    for (auto s : states) {
        auto t = full_task(std::string(to_string(s)), "w");
        t.state = s;
        b.tasks.push_back(t);
    }
    p.save(b);
    const auto plan = p.recovery_plan();
    BOOST_TEST_REQUIRE(plan.size() == 1u);
    BOOST_TEST(plan[0].saved.tasks.size() == 6u);
    std::vector<std::string> requeue;
    for (const auto& t : plan[0].requeue)
        requeue.push_back(t.id + ":" + std::string(to_string(t.state)) + ":" +
                          std::to_string(t.attempt) + ":" + std::to_string(t.due_ms));
    BOOST_TEST(requeue ==
                   (std::vector<std::string>{"ready:ready:2:1700000000123", "executing:ready:3:0",
                                             "retry_pending:retry_pending:2:1700000000123"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(two_generations_share_the_file) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    persistence_sqlite old_generation(config_for(path));
    persistence_sqlite new_generation(config_for(path));
    persistence::batch b;
    b.workflows = {workflow_of("w", workflow_state::running)};
    b.tasks = {full_task("t", "w")};
    old_generation.save(b);
    const auto loaded = new_generation.load_unfinished();
    BOOST_TEST_REQUIRE(loaded.size() == 1u);
    BOOST_TEST(loaded[0].tasks.size() == 1u);
}

BOOST_AUTO_TEST_CASE(ten_thousand_task_batch_timing) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    persistence_sqlite p(config_for(path));
    persistence::batch b;
    b.workflows = {workflow_of("big", workflow_state::running)};
    for (int i = 0; i < 10000; ++i)
        b.tasks.push_back(full_task("t" + std::to_string(i), "big"));
    using clock = std::chrono::steady_clock;
    // CPU time beside wall time: on a loaded machine the wall time is mostly waiting.
    const auto cpu0 = std::clock();
    const auto t0 = clock::now();
    p.save(b); // 10,000 inserts
    const auto t1 = clock::now();
    const auto cpu1 = std::clock();
    for (auto& t : b.tasks)
        t.state = task_state::completed;
    p.save(b); // 10,000 updates of the same rows
    const auto t2 = clock::now();
    const auto loaded = p.load_unfinished();
    const auto t3 = clock::now();
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    BOOST_TEST_MESSAGE("persistence-sqlite, 10,000 tasks in one batch: insert "
                       << ms(t1 - t0) << " ms (CPU " << 1000.0 * (cpu1 - cpu0) / CLOCKS_PER_SEC
                       << " ms), upsert of the same " << ms(t2 - t1) << " ms, load_unfinished "
                       << ms(t3 - t2) << " ms");
    BOOST_TEST_REQUIRE(loaded.size() == 1u);
    BOOST_TEST(loaded[0].tasks.size() == 10000u);
    BOOST_TEST(raw_db(path).value("SELECT count(*) FROM tasks WHERE state = 'completed'") ==
               "10000");
}

// A child saves batches in a loop and is SIGKILLed at a random moment, three times over the
// same file. Each batch is one workflow with its 20 tasks, the results of the previous
// workflow's tasks and one event; the child writes a byte to a pipe after each save returns.
BOOST_AUTO_TEST_CASE(sigkill_during_saves_leaves_a_consistent_file) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    constexpr int tasks_per_workflow = 20;
    std::mt19937 random(std::random_device{}());
    for (int round = 0; round < 3; ++round) {
        int acks[2];
        BOOST_TEST_REQUIRE(pipe(acks) == 0);
        const pid_t child = fork();
        BOOST_TEST_REQUIRE(child >= 0);
        if (child == 0) {
            close(acks[0]);
            try {
                persistence_sqlite p(config_for(path));
                const std::string prefix = "r" + std::to_string(round) + "-w";
                for (int i = 0;; ++i) {
                    persistence::batch b;
                    auto w = workflow_of(prefix + std::to_string(i), workflow_state::running);
                    for (int k = 0; k < tasks_per_workflow; ++k)
                        w.tasks.push_back(full_task(w.id + "-t" + std::to_string(k), w.id));
                    b.workflows.push_back(std::move(w));
                    for (int k = 0; i > 0 && k < tasks_per_workflow; ++k)
                        b.results.push_back(
                            {prefix + std::to_string(i - 1) + "-t" + std::to_string(k),
                             boost::json::value(k),
                             {},
                             "echo",
                             1.0});
                    b.events.push_back({{"round", round}, {"i", i}});
                    p.save(b);
                    const char ack = 1;
                    if (write(acks[1], &ack, 1) != 1)
                        _exit(4);
                }
            } catch (...) {
                _exit(3);
            }
        }
        close(acks[1]);
        char ack = 0;
        BOOST_TEST_REQUIRE(read(acks[0], &ack, 1) == 1); // one batch is on disk
        const auto delay = std::uniform_int_distribution<int>(0, 150)(random);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        kill(child, SIGKILL);
        int status = 0;
        BOOST_TEST_REQUIRE(waitpid(child, &status, 0) == child);
        BOOST_TEST_REQUIRE(WIFSIGNALED(status));
        BOOST_TEST(WTERMSIG(status) == SIGKILL);
        long acked = 1;
        while (read(acks[0], &ack, 1) == 1)
            ++acked;
        close(acks[0]);

        // Opening runs SQLite's recovery of the WAL, as a restarted hub would.
        persistence_sqlite reopened(config_for(path));
        raw_db raw(path);
        const std::string r = std::to_string(round);
        const long saved =
            std::stol(raw.value("SELECT count(*) FROM workflows WHERE id LIKE 'r" + r + "-w%'"));
        BOOST_TEST_MESSAGE("round " << round << ": killed after " << delay << " ms, " << acked
                                    << " saves acknowledged, " << saved << " workflows on disk");
        // Every acknowledged save is there; at most the one in flight is there unacknowledged.
        BOOST_TEST((saved == acked || saved == acked + 1));
        BOOST_TEST(raw.value("PRAGMA integrity_check") == "ok");
        BOOST_TEST(raw.rows("PRAGMA foreign_key_check").empty());
        BOOST_TEST(raw.value("SELECT count(*) FROM (SELECT w.id FROM workflows w LEFT JOIN "
                             "tasks t ON t.workflow_id = w.id GROUP BY w.id HAVING count(t.id) "
                             "!= " +
                             std::to_string(tasks_per_workflow) + ")") == "0");
        BOOST_TEST(raw.value("SELECT count(*) FROM results WHERE task_id LIKE 'r" + r + "-w%'") ==
                   std::to_string(tasks_per_workflow * (saved - 1)));
        BOOST_TEST(raw.value("SELECT count(*) FROM events WHERE json_extract(json, '$.round') "
                             "= " +
                             r) == std::to_string(saved));
        BOOST_TEST(
            reopened.load_unfinished().size() ==
            static_cast<std::size_t>(std::stol(raw.value("SELECT count(*) FROM workflows"))));
    }
}

BOOST_AUTO_TEST_SUITE_END()
