// cancel_workflow: queued tasks leave the queue, the running one's provider is asked to stop,
// and nothing of the workflow runs afterwards.

#include "pipeline_fixture.hpp"

using namespace hub_test;
using strings = std::vector<std::string>;

BOOST_FIXTURE_TEST_SUITE(hub_pipeline_cancel, pipeline_fixture)

BOOST_AUTO_TEST_CASE(cancel_workflow_cancels_queued_and_running_tasks) {
    // One credit: a runs, c waits in the queue, b waits for a.
    auto p1 = add_remote("p1", 1);
    submit(R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"},
        {"id": "b", "protocol": "echo/v1", "method": "echo", "dependencies": ["a"]},
        {"id": "c", "protocol": "echo/v1", "method": "echo"}]})");
    BOOST_TEST(p1->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    BOOST_TEST(queued() == strings{"w1/c"}, boost::test_tools::per_element());

    BOOST_TEST(js(cancel("w1")) == R"({"ok":true,"workflow_id":"w1"})");
    BOOST_TEST(p1->cancels() == (std::vector<std::pair<std::string, std::string>>{
                                    {"w1/a", "cancelled by request"}}));
    BOOST_TEST(queued().empty());
    BOOST_TEST(js(status("w1")) == js(obj(R"({"ok": true, "workflow": {"id": "w1", "name": "",
        "state": "cancelled", "tasks": {"a": {"state": "cancelled", "attempt": 1},
                                        "b": {"state": "cancelled", "attempt": 0},
                                        "c": {"state": "cancelled", "attempt": 0}}}})")));
    BOOST_TEST(js(last_event("workflow_cancelled").payload) ==
               js(obj(R"({"state": "cancelled", "results": {}, "reason": "cancelled by request",
                   "workflow_id": "w1", "seq": 3, "_correlation_id": "w1", "_source_component": "hub"})")));
    BOOST_TEST(rows("SELECT state FROM workflows") == strings{"cancelled"},
               boost::test_tools::per_element());
    BOOST_TEST(rows("SELECT id, state FROM tasks ORDER BY id") ==
                   (strings{"w1/a|cancelled", "w1/b|cancelled", "w1/c|cancelled"}),
               boost::test_tools::per_element());

    // a's answer after the cancel changes nothing, and its credit is free again: the next
    // workflow runs at once.
    p1->answer("w1/a", "late");
    drive();
    BOOST_TEST(task_state("w1", "a") == "cancelled");
    submit(R"({"id": "w2", "tasks": [{"id": "a", "protocol": "echo/v1", "method": "echo"}]})");
    BOOST_TEST(p1->call_ids() == (strings{"w1/a", "w2/a"}), boost::test_tools::per_element());
    // A second cancel is refused: it is over.
    BOOST_TEST(js(cancel("w1")) == js(obj(R"({"ok": false, "error": {"code": "invalid_argument",
        "message": "workflow 'w1' is cancelled"}})")));
}

BOOST_AUTO_TEST_CASE(cancel_of_an_unknown_workflow_is_not_found) {
    BOOST_TEST(js(cancel("nope")) == js(obj(R"({"ok": false, "error": {"code": "not_found",
        "message": "no workflow 'nope'"}})")));
    BOOST_TEST(events.empty());
}

BOOST_AUTO_TEST_SUITE_END()
