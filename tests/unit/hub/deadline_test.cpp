// A workflow's timeout: past its deadline the workflow fails, its running task is cancelled at
// the provider and its waiting tasks are cancelled; the deadline is saved, so a restart keeps
// it; and a workflow that ends in time leaves no alarm behind.

#include "pipeline_fixture.hpp"

using namespace hub_test;
using strings = std::vector<std::string>;

BOOST_FIXTURE_TEST_SUITE(hub_pipeline_deadline, pipeline_fixture)

BOOST_AUTO_TEST_CASE(past_its_timeout_a_workflow_fails_and_its_tasks_stop) {
    auto p1 = add_remote("p1", 1);
    clock.set(1'000'000);
    submit(R"({"id": "w1", "timeout": 2.5, "description": "slow", "version": "1.0",
               "metadata": {"owner": "ops"}, "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "timeout": 60,
         "metadata": {"step": 1}},
        {"id": "b", "protocol": "echo/v1", "method": "echo", "dependencies": ["a"]}]})");
    BOOST_TEST(p1->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    // Saved with its deadline, so that a restart keeps it.
    BOOST_TEST(rows("SELECT json_extract(json, '$.deadline_ms'), json_extract(json, "
                    "'$.timeout_ms') FROM workflows") == strings{"1002500|2500"},
               boost::test_tools::per_element());
    advance(std::chrono::milliseconds(2499));
    BOOST_TEST(task_state("w1", "a") == "executing");
    advance(std::chrono::milliseconds(1));
    BOOST_TEST(p1->cancels() == (std::vector<std::pair<std::string, std::string>>{
                                    {"w1/a", "the workflow's timeout of 2.5 s passed"}}));
    BOOST_TEST(js(last_event("workflow_failed").payload) ==
               js(obj(R"({"state": "failed", "results": {},
                   "reason": "the workflow's timeout of 2.5 s passed",
                   "workflow_id": "w1", "seq": 3, "_correlation_id": "w1", "_source_component": "hub"})")));
    BOOST_TEST(js(status("w1")) == js(obj(R"({"ok": true, "workflow": {"id": "w1", "name": "",
        "state": "failed", "description": "slow", "version": "1.0",
        "metadata": {"owner": "ops"}, "timeout_ms": 2500,
        "tasks": {"a": {"state": "cancelled", "attempt": 1, "metadata": {"step": 1}},
                  "b": {"state": "cancelled", "attempt": 0}}}})")));
    BOOST_TEST(rows("SELECT state FROM workflows") == strings{"failed"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_workflow_done_in_time_leaves_no_alarm) {
    auto p1 = add_remote("p1", 1);
    submit(R"({"id": "w1", "timeout": 10, "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "timeout": 60}]})");
    p1->answer("w1/a", "done");
    drive();
    BOOST_TEST(last_event("workflow_completed").payload.at("state") == "completed");
    BOOST_TEST(clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_restart_keeps_the_deadline_and_one_passed_meanwhile_fails_at_once) {
    // What a hub that crashed at 5,000,000 would have left: w1 due at 5,003,000 and w2 due
    // at 5,001,000, each with a task running.
    clock.set(5'000'000);
    gleitzeit::persistence::batch b;
    for (auto [id, timeout] : {std::pair{"w1", 3000}, std::pair{"w2", 1000}}) {
        gleitzeit::workflow w;
        w.id = id;
        w.state = gleitzeit::workflow_state::running;
        w.timeout = std::chrono::milliseconds(timeout);
        w.deadline_ms = clock.now_ms() + timeout;
        gleitzeit::task t;
        t.id = std::string(id) + "/a";
        t.workflow_id = id;
        t.protocol = "echo/v1";
        t.method = "echo";
        t.timeout = std::chrono::seconds(60);
        t.state = gleitzeit::task_state::executing;
        t.attempt = 1;
        w.tasks = {t};
        b.workflows.push_back(w);
    }
    slots.persistence_slot->save(b);
    clock.set(5'001'500); // the hub was down 1.5 s: w2's deadline passed
    make_pipeline();
    auto p1 = add_remote("p1", 2);
    recover();
    BOOST_TEST(workflow_state("w2") == "failed");
    BOOST_TEST(last_event("workflow_failed").payload.at("reason") ==
               "the workflow's timeout of 1 s passed");
    BOOST_TEST(workflow_state("w1") == "running");
    advance(std::chrono::milliseconds(1499));
    BOOST_TEST(workflow_state("w1") == "running");
    advance(std::chrono::milliseconds(1));
    BOOST_TEST(workflow_state("w1") == "failed");
    BOOST_TEST(last_event("workflow_failed").payload.at("reason") ==
               "the workflow's timeout of 3 s passed");
}

BOOST_AUTO_TEST_SUITE_END()
