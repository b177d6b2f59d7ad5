// Failures: fail_fast against continue, retries after their backoff, attempts running out,
// and the hub's timeout (with the late answer it must ignore). Time moves only by advance().

#include "pipeline_fixture.hpp"

using namespace hub_test;
using gleitzeit::error_code;
using strings = std::vector<std::string>;

namespace {

// a and b independent, c after a; a's retry policy allows three attempts, so that a failure
// that is not retried shows it was final.
std::string three_tasks(const std::string& on_failure) {
    return R"({"id": "w1", "on_failure": ")" + on_failure + R"(", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "retry": {"max_attempts": 3}},
        {"id": "b", "protocol": "echo/v1", "method": "echo"},
        {"id": "c", "protocol": "echo/v1", "method": "echo", "dependencies": ["a"]}]})";
}

// One task with `retry` and `timeout_ms`.
std::string one_task(const std::string& retry, int timeout_ms = 30000) {
    return R"({"id": "w1", "tasks": [{"id": "a", "protocol": "echo/v1", "method": "echo",
        "timeout_ms": )" + std::to_string(timeout_ms) + R"(, "retry": )" + retry + "}]}";
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(hub_pipeline_retry, pipeline_fixture)

BOOST_AUTO_TEST_CASE(fail_fast_ends_the_workflow_at_the_first_failure) {
    auto p1 = add_remote("p1", 4);
    submit(three_tasks("fail_fast"));
    BOOST_TEST(p1->call_ids() == (strings{"w1/a", "w1/b"}), boost::test_tools::per_element());
    p1->fail("w1/a", error_code::provider_error, "broken", false);
    drive();
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_started a", "task_started b",
                                         "task_failed a", "task_skipped c", "workflow_failed"}),
               boost::test_tools::per_element());
    BOOST_TEST(js(last_event("workflow_failed").payload) ==
               js(obj(R"j({"state": "failed", "results": {}, "reason": "a task failed (fail_fast)",
                   "workflow_id": "w1", "seq": 6, "_correlation_id": "w1", "_source_component": "hub"})j")));
    // b, still running, is stopped; a non-retryable error is not retried.
    BOOST_TEST(p1->cancels() == (std::vector<std::pair<std::string, std::string>>{
                                    {"w1/b", "a task failed (fail_fast)"}}));
    BOOST_TEST(p1->call_ids() == (strings{"w1/a", "w1/b"}), boost::test_tools::per_element());
    BOOST_TEST(js(status("w1")) == js(obj(R"({"ok": true, "workflow": {"id": "w1", "name": "",
        "state": "failed", "tasks": {
          "a": {"state": "failed", "attempt": 1,
                "error": {"code": "provider_error", "message": "broken", "retryable": false}},
          "b": {"state": "cancelled", "attempt": 1},
          "c": {"state": "skipped", "attempt": 0}}}})")));
    // b's answer after the end changes nothing.
    p1->answer("w1/b", "late");
    drive();
    BOOST_TEST(task_state("w1", "b") == "cancelled");
    BOOST_TEST(event_names().back() == "workflow_failed");
}

BOOST_AUTO_TEST_CASE(continue_runs_the_other_tasks_after_a_failure) {
    auto p1 = add_remote("p1", 4);
    submit(three_tasks("continue"));
    p1->fail("w1/a", error_code::provider_error, "broken", false);
    drive();
    // c can no longer run; b can, and the workflow waits for it.
    BOOST_TEST(workflow_state("w1") == "running");
    BOOST_TEST(task_state("w1", "c") == "skipped");
    BOOST_TEST(p1->cancels().empty());
    p1->answer("w1/b", "b done");
    drive();
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_started a", "task_started b",
                                         "task_failed a", "task_skipped c", "task_completed b",
                                         "workflow_failed"}),
               boost::test_tools::per_element());
    BOOST_TEST(js(last_event("workflow_failed").payload) ==
               js(obj(R"({"state": "failed", "results": {"b": "b done"},
                   "workflow_id": "w1", "seq": 7, "_correlation_id": "w1", "_source_component": "hub"})")));
    BOOST_TEST(task_state("w1", "b") == "completed");
}

BOOST_AUTO_TEST_CASE(retryable_error_waits_for_the_backoff_delay_then_runs_again) {
    auto p1 = add_remote("p1", 4);
    submit(one_task(R"({"max_attempts": 3, "backoff": "exponential", "base_delay_ms": 1000,
                        "jitter": 0})"));
    const auto t0 = clock.now_ms();
    p1->fail("w1/a", error_code::provider_error, "busy", true);
    drive();
    BOOST_TEST(js(last_event("task_retrying").payload) ==
               js(obj(R"({"task_id": "a", "attempt": 1, "delay_ms": 1000,
                   "error": {"code": "provider_error", "message": "busy", "retryable": true},
                   "workflow_id": "w1", "seq": 3, "_correlation_id": "w1", "_source_component": "hub"})")));
    BOOST_TEST(js(task_status("w1", "a")) == R"({"state":"retry_pending","attempt":1})");
    // The due time is durable, so that a restart keeps the wait.
    BOOST_TEST(rows("SELECT state, attempt, due_ms FROM tasks WHERE id = 'w1/a'") ==
                   strings{"retry_pending|1|" + std::to_string(t0 + 1000)},
               boost::test_tools::per_element());

    advance(999ms);
    BOOST_TEST(p1->calls().size() == 1u);
    advance(1ms);
    BOOST_TEST_REQUIRE(p1->calls().size() == 2u);
    BOOST_TEST(p1->calls()[1].call.attempt == 2u);

    // The second failure waits twice as long (exponential).
    p1->fail("w1/a", error_code::provider_error, "busy", true);
    drive();
    BOOST_TEST(last_event("task_retrying").payload.at("delay_ms").as_int64() == 2000);
    advance(1999ms);
    BOOST_TEST(p1->calls().size() == 2u);
    advance(1ms);
    BOOST_TEST_REQUIRE(p1->calls().size() == 3u);
    BOOST_TEST(p1->calls()[2].call.attempt == 3u);
    p1->answer("w1/a", "third time");
    drive();
    BOOST_TEST(js(task_status("w1", "a")) ==
               R"({"state":"completed","attempt":3,"result":"third time"})");
}

BOOST_AUTO_TEST_CASE(exhausted_attempts_fail_the_task_and_the_workflow) {
    auto p1 = add_remote("p1", 4);
    submit(one_task(R"({"max_attempts": 2, "backoff": "fixed", "base_delay_ms": 100,
                        "jitter": 0})"));
    p1->fail("w1/a", error_code::provider_error, "busy", true);
    drive();
    advance(100ms);
    BOOST_TEST_REQUIRE(p1->calls().size() == 2u);
    p1->fail("w1/a", error_code::provider_error, "still busy", true);
    drive();
    advance(10000ms); // no third attempt, however long
    BOOST_TEST(p1->calls().size() == 2u);
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_started a", "task_retrying a",
                                         "task_started a", "task_failed a", "workflow_failed"}),
               boost::test_tools::per_element());
    BOOST_TEST(js(last_event("task_failed").payload.at("error")) ==
               R"({"code":"provider_error","message":"still busy","retryable":true})");
    BOOST_TEST(js(task_status("w1", "a")) == js(obj(R"({"state": "failed", "attempt": 2,
        "error": {"code": "provider_error", "message": "still busy", "retryable": true}})")));
    BOOST_TEST(rows("SELECT ok FROM results WHERE task_id = 'w1/a'") == strings{"0"},
               boost::test_tools::per_element());
    BOOST_TEST(rows("SELECT state FROM workflows") == strings{"failed"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_answer_within_the_timeout_cancels_the_call_and_retries_then_fails) {
    auto p1 = add_remote("p1", 4);
    submit(one_task(R"({"max_attempts": 2, "backoff": "fixed", "base_delay_ms": 100,
                        "jitter": 0})",
                    5000));
    advance(4999ms);
    BOOST_TEST(p1->cancels().empty());
    BOOST_TEST(task_state("w1", "a") == "executing");
    advance(1ms);
    BOOST_TEST(p1->cancels() ==
               (std::vector<std::pair<std::string, std::string>>{{"w1/a", "timeout"}}));
    BOOST_TEST(js(last_event("task_retrying").payload.at("error")) ==
               R"({"code":"timeout","message":"no result within the task's timeout","retryable":true})");
    BOOST_TEST(task_state("w1", "a") == "retry_pending");
    advance(100ms);
    BOOST_TEST_REQUIRE(p1->calls().size() == 2u);
    // The second attempt has its own full timeout.
    advance(4999ms);
    BOOST_TEST(p1->cancels().size() == 1u);
    advance(1ms);
    BOOST_TEST(p1->cancels().size() == 2u);
    BOOST_TEST(js(task_status("w1", "a")) == js(obj(R"({"state": "failed", "attempt": 2,
        "error": {"code": "timeout", "message": "no result within the task's timeout",
                  "retryable": true}})")));
    BOOST_TEST(workflow_state("w1") == "failed");
    BOOST_TEST(clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(late_answer_after_a_timeout_is_ignored) {
    auto p1 = add_remote("p1", 4);
    submit(one_task(R"({"max_attempts": 2, "backoff": "fixed", "base_delay_ms": 100,
                        "jitter": 0})",
                    5000));
    advance(5000ms); // attempt 1 times out
    advance(100ms);  // attempt 2 starts
    BOOST_TEST_REQUIRE(p1->calls().size() == 2u);
    // Attempt 1's answer comes now: attempt 2 is running and stays so.
    p1->answer_nth(0, "from attempt 1");
    drive();
    BOOST_TEST(js(task_status("w1", "a")) == R"({"state":"executing","attempt":2})");
    BOOST_TEST(event_names().back() == "task_started a");
    p1->answer_nth(1, "from attempt 2");
    drive();
    BOOST_TEST(js(task_status("w1", "a")) ==
               R"({"state":"completed","attempt":2,"result":"from attempt 2"})");
    BOOST_TEST(js(last_event("workflow_completed").payload.at("results")) ==
               R"({"a":"from attempt 2"})");
}

BOOST_AUTO_TEST_SUITE_END()
