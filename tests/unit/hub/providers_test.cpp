// Providers: a protocol nobody serves, a provider that comes later or leaves mid-task, the
// credits of max_concurrency, and provider plugins found through the slots.

#include "pipeline_fixture.hpp"

using namespace hub_test;
using strings = std::vector<std::string>;

namespace {

gleitzeit::protocol_spec nobody_spec() {
    return gleitzeit::protocol_spec{"nobody/v1", "", {gleitzeit::method_spec{"run", "", {}}}};
}

const char* nobody_workflow = R"({"id": "w1", "tasks": [
    {"id": "a", "protocol": "nobody/v1", "method": "run", "timeout_ms": 3000}]})";

} // namespace

BOOST_FIXTURE_TEST_SUITE(hub_pipeline_providers, pipeline_fixture)

BOOST_AUTO_TEST_CASE(task_nobody_serves_waits_its_timeout_then_fails_with_no_provider) {
    add_remote("p1", 4); // serves echo/v1 only
    BOOST_TEST(submit(nobody_workflow).at("ok").as_bool());
    BOOST_TEST(task_state("w1", "a") == "ready");
    BOOST_TEST(queued() == strings{"w1/a"}, boost::test_tools::per_element());
    advance(2999ms);
    BOOST_TEST(task_state("w1", "a") == "ready");
    advance(1ms);
    BOOST_TEST(js(task_status("w1", "a")) == js(obj(R"j({"state": "failed", "attempt": 0,
        "error": {"code": "no_provider",
                  "message": "no provider serves nobody/v1 (waited 3000 ms, the task's timeout)",
                  "retryable": false}})j")));
    BOOST_TEST(queued().empty());
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_failed a", "workflow_failed"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(provider_registering_later_picks_up_the_waiting_task) {
    submit(nobody_workflow);
    advance(2000ms);
    auto late = add_remote("late", 1, {nobody_spec()});
    BOOST_TEST_REQUIRE(late->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    // Past the wait's end the task is running, not failed for want of a provider.
    advance(900ms);
    BOOST_TEST(task_state("w1", "a") == "executing");
    late->answer("w1/a", "served");
    drive();
    BOOST_TEST(workflow_state("w1") == "completed");
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_started a", "task_completed a",
                                         "workflow_completed"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(provider_leaving_mid_task_requeues_its_call_to_another_provider) {
    auto p1 = add_remote("p1", 1);
    submit(R"({"id": "w1", "tasks": [{"id": "a", "protocol": "echo/v1", "method": "echo"}]})");
    BOOST_TEST_REQUIRE(p1->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    auto p2 = add_remote("p2", 1);
    BOOST_TEST(p2->calls().empty());

    p1->set_alive(false); // its connection went
    BOOST_TEST(remove_remote("p1") == 1u);
    BOOST_TEST_REQUIRE(p2->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    // Not a failed attempt: the provider went, not the task.
    BOOST_TEST(p2->calls()[0].call.attempt == 1u);
    BOOST_TEST(js(last_event("task_started", "a").payload.at("provider")) == R"("p2")");
    // p1's connection answers its call with an error after it went: ignored.
    p1->fail("w1/a", gleitzeit::error_code::provider_error, "no reply", true);
    drive();
    BOOST_TEST(js(task_status("w1", "a")) == R"({"state":"executing","attempt":1})");
    p2->answer("w1/a", "on p2");
    drive();
    BOOST_TEST(js(task_status("w1", "a")) == R"({"state":"completed","attempt":1,"result":"on p2"})");
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_started a", "task_started a",
                                         "task_completed a", "workflow_completed"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(max_concurrency_limits_the_calls_in_flight) {
    auto p1 = add_remote("p1", 2);
    submit(R"({"id": "w1", "on_failure": "continue", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"},
        {"id": "b", "protocol": "echo/v1", "method": "echo"},
        {"id": "c", "protocol": "echo/v1", "method": "echo"},
        {"id": "d", "protocol": "echo/v1", "method": "echo"},
        {"id": "e", "protocol": "echo/v1", "method": "echo"}]})");
    BOOST_TEST(p1->call_ids() == (strings{"w1/a", "w1/b"}), boost::test_tools::per_element());
    BOOST_TEST(queued() == (strings{"w1/c", "w1/d", "w1/e"}), boost::test_tools::per_element());
    BOOST_TEST(js(providers()) == js(json::parse(R"([{"name": "p1", "local": false,
        "protocols": ["echo/v1"], "max_concurrency": 2, "in_flight": 2}])")));
    // Each answer frees one credit, for one more call; a failure frees it too.
    p1->answer("w1/a", 1);
    drive();
    BOOST_TEST(p1->open_ids() == (strings{"w1/b", "w1/c"}), boost::test_tools::per_element());
    p1->fail("w1/b", gleitzeit::error_code::provider_error, "no", false);
    drive();
    BOOST_TEST(p1->open_ids() == (strings{"w1/c", "w1/d"}), boost::test_tools::per_element());
    p1->answer("w1/c", 3);
    p1->answer("w1/d", 4);
    drive();
    BOOST_TEST(p1->open_ids() == strings{"w1/e"}, boost::test_tools::per_element());
    p1->answer("w1/e", 5);
    drive();
    BOOST_TEST(p1->calls().size() == 5u);
    BOOST_TEST(js(providers().at(0).at("in_flight")) == "0");
    BOOST_TEST(workflow_state("w1") == "failed");
}

BOOST_AUTO_TEST_CASE(provider_plugin_in_the_slots_runs_tasks_through_its_link) {
    auto plugin = slots.add_plugin_provider("echo-plugin", {echo_spec()}, 3);
    submit(R"({"id": "w1", "tasks": [{"id": "a", "protocol": "echo/v1", "method": "echo",
        "params": {"text": "local"}}]})");
    BOOST_TEST_REQUIRE(plugin->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    BOOST_TEST(js(providers()) == js(json::parse(R"([{"name": "echo-plugin", "local": true,
        "protocols": ["echo/v1"], "max_concurrency": 3, "in_flight": 1}])")));
    // Its protocol's schema is checked, as a remote provider's is.
    auto refused = submit(R"({"id": "w2", "tasks": [{"id": "a", "protocol": "echo/v1",
        "method": "echo", "params": {"text": 1}}]})");
    BOOST_TEST(js(refused.at("error").at("code")) == R"("invalid_workflow")");
    plugin->answer("w1/a", "local");
    drive();
    BOOST_TEST(workflow_state("w1") == "completed");
}

BOOST_AUTO_TEST_CASE(result_over_max_result_fails_its_task_for_good_and_is_never_sent) {
    make_pipeline(1000, 20); // "0123456789abcdef" is 18 bytes of JSON; one more makes 20
    auto p1 = add_remote("p1", 2);
    submit(R"({"id": "w1", "on_failure": "continue", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "retry": {"max_attempts": 3}},
        {"id": "b", "protocol": "echo/v1", "method": "echo"}]})");
    BOOST_TEST_REQUIRE(p1->open_ids() == (strings{"w1/a", "w1/b"}),
                       boost::test_tools::per_element());
    p1->answer("w1/a", "0123456789abcdefgh+"); // 21 bytes
    p1->answer("w1/b", "0123456789abcdefgh");  // 20 bytes: at the bound, kept
    drive();
    // Not retried though attempts remain: the same call would give the same result.
    BOOST_TEST(p1->calls().size() == 2u);
    BOOST_TEST(js(task_status("w1", "a")) == js(obj(R"j({"state": "failed", "attempt": 1,
        "error": {"code": "provider_error",
                  "message": "the result is 21 bytes of JSON, over [server] max_payload (20 bytes)",
                  "retryable": false}})j")));
    BOOST_TEST(js(last_event("task_failed", "a").payload.at("error").at("retryable")) == "false");
    BOOST_TEST(js(task_status("w1", "b")) ==
               R"({"state":"completed","attempt":1,"result":"0123456789abcdefgh"})");
    BOOST_TEST(js(last_event("workflow_failed").payload.at("results")) ==
               R"({"b":"0123456789abcdefgh"})");
    // The result went nowhere: not in an event, not in the persistence slot.
    for (const auto& e : events)
        BOOST_TEST(js(e.payload).find("+") == std::string::npos);
    for (const char* table : {"results", "events"})
        BOOST_TEST(rows(std::string("SELECT COUNT(*) FROM ") + table + " WHERE json LIKE '%+%'") ==
                       strings{"0"},
                   boost::test_tools::per_element());
}

// docs/events.md, workflow_completed: results that together pass max_result are left out of
// the end event (each is in its task_completed and in query_status), so that no client is
// sent an event larger than it may send.
BOOST_AUTO_TEST_CASE(end_event_leaves_out_results_that_together_pass_max_result) {
    make_pipeline(1000, 20);
    auto p1 = add_remote("p1", 2);
    submit(R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"},
        {"id": "b", "protocol": "echo/v1", "method": "echo"}]})");
    p1->answer("w1/a", "0123456789abcdefgh"); // 20 bytes each: within the bound alone
    p1->answer("w1/b", "0123456789abcdefgh");
    drive();
    BOOST_TEST(js(last_event("workflow_completed").payload) ==
               js(obj(R"({"state": "completed", "results": {},
                   "results_omitted": "the results together are over [server] max_payload (20 bytes): each is in its task_completed event and in query_status {workflow_id, task_id}",
                   "workflow_id": "w1", "seq": 6, "_correlation_id": "w1", "_source_component": "hub"})")));
    BOOST_TEST(js(last_event("task_completed", "b").payload.at("result")) == R"("0123456789abcdefgh")");
    BOOST_TEST(js(query(obj(R"({"workflow_id": "w1", "task_id": "a"})")).at("task")) ==
               R"({"state":"completed","attempt":1,"result":"0123456789abcdefgh"})");
}

// docs/events.md, query_status: results that together pass max_result are left out of the
// whole workflow's reply, which says so; {workflow_id, task_id} has each. The same holds for a
// workflow read back from the archive.
BOOST_AUTO_TEST_CASE(query_status_leaves_out_results_that_together_pass_max_result) {
    make_pipeline(0, 20); // keep none finished: once over, the workflow is read from the archive
    auto p1 = add_remote("p1", 3);
    submit(R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"},
        {"id": "b", "protocol": "echo/v1", "method": "echo"},
        {"id": "c", "protocol": "echo/v1", "method": "echo"}]})");
    p1->answer("w1/a", "0123456789abcdefgh"); // 20 bytes each: within the bound alone
    p1->answer("w1/b", "0123456789abcdefgh");
    drive();
    const auto omitted = std::string(R"("the results together are over [server] max_payload (20 bytes): ask query_status {workflow_id, task_id} for each")");
    for (int archived = 0; archived < 2; ++archived) {
        BOOST_TEST_CONTEXT("archived " << archived) {
            BOOST_TEST(status_all().at("workflows").as_array().size() == (archived ? 0u : 1u));
            auto whole = status("w1");
            const auto& w = whole.at("workflow").as_object();
            BOOST_TEST(js(w.at("tasks").at("a")) == R"({"state":"completed","attempt":1})");
            BOOST_TEST(js(w.at("tasks").at("b")) == R"({"state":"completed","attempt":1})");
            BOOST_TEST(js(w.at("results_omitted")) == omitted);
            BOOST_TEST(js(query(obj(R"({"workflow_id": "w1", "task_id": "b"})"))) ==
                       R"({"ok":true,"workflow_id":"w1","task_id":"b","task":{"state":"completed","attempt":1,"result":"0123456789abcdefgh"}})");
            BOOST_TEST(js(query(obj(R"({"workflow_id": "w1", "task_id": "z"})"))) ==
                       js(obj(R"({"ok": false, "error": {"code": "not_found",
                           "message": "workflow 'w1' has no task 'z'"}})")));
            BOOST_TEST(js(query(obj(R"({"workflow_id": "w1", "task_id": 5})"))) ==
                       js(obj(R"({"ok": false, "error": {"code": "invalid_argument",
                           "message": "task_id must be a string"}})")));
        }
        if (!archived) {
            p1->answer("w1/c", "c");
            drive();
        }
    }
    BOOST_TEST(workflow_state("w1") == "completed");
    // The task that ended last, from the archive.
    BOOST_TEST(js(query(obj(R"({"workflow_id": "w1", "task_id": "c"})")).at("task")) ==
               R"({"state":"completed","attempt":1,"result":"c"})");
}

// A completed task's params are let go once its row is durable (pipeline_progress.cpp,
// finish_task): the row keeps them as the task ran with them.
BOOST_AUTO_TEST_CASE(a_completed_tasks_row_keeps_the_params_it_ran_with) {
    auto p1 = add_remote("p1", 2);
    submit(R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"},
        {"id": "b", "protocol": "echo/v1", "method": "echo", "dependencies": ["a"],
         "params": {"text": "${a.result}!"}}]})");
    p1->answer("w1/a", "hello");
    drive();
    p1->answer("w1/b", "done");
    drive();
    BOOST_TEST(workflow_state("w1") == "completed");
    BOOST_TEST(rows("SELECT id, state, json_extract(json, '$.params.text') FROM tasks ORDER BY id") ==
                   (strings{"w1/a|completed|NULL", "w1/b|completed|hello!"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
