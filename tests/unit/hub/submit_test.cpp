// submit_workflow: the reply, a workflow run to its end, what is refused whole (and that
// nothing of it is kept), dependency release, and query_status.

#include "pipeline_fixture.hpp"

using namespace hub_test;
using strings = std::vector<std::string>;

BOOST_FIXTURE_TEST_SUITE(hub_pipeline_submit, pipeline_fixture)

BOOST_AUTO_TEST_CASE(submit_replies_ok_and_runs_a_one_task_workflow_to_completed) {
    auto p1 = add_remote("p1", 4);
    auto reply = submit(R"({"id": "w1", "name": "one", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "params": {"text": "hi"}}]})");
    BOOST_TEST(js(reply) == js(obj(R"({"ok": true, "workflow_id": "w1", "_correlation_id": "w1"})")));
    BOOST_TEST(joined == strings{"workflow:w1"}, boost::test_tools::per_element());

    // The provider got exactly one call, as the task asked for it.
    BOOST_TEST_REQUIRE(p1->calls().size() == 1u);
    const auto& c = p1->calls()[0].call;
    BOOST_TEST(c.call.task_id == "w1/a");
    BOOST_TEST(c.call.protocol == "echo/v1");
    BOOST_TEST(c.call.method == "echo");
    BOOST_TEST(js(c.call.params) == R"({"text":"hi"})");
    BOOST_TEST(c.workflow_id == "w1");
    BOOST_TEST(c.attempt == 1u);
    BOOST_TEST(task_state("w1", "a") == "executing");

    p1->answer("w1/a", obj(R"({"text": "hi"})"));
    drive();
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_started a", "task_completed a",
                                         "workflow_completed"}),
               boost::test_tools::per_element());
    BOOST_TEST(events[0].rooms == (strings{"workflow:w1", "workflows", "workflow-end:w1"}),
               boost::test_tools::per_element());
    BOOST_TEST(js(events[0].payload) == js(obj(R"({"name": "one", "tasks": 1, "workflow_id": "w1", "seq": 1,
        "_correlation_id": "w1", "_source_component": "hub"})")));
    BOOST_TEST(events[1].rooms == (strings{"workflow:w1", "tasks"}), boost::test_tools::per_element());
    BOOST_TEST(js(events[1].payload) == js(obj(R"({"task_id": "a", "provider": "p1", "attempt": 1,
        "workflow_id": "w1", "seq": 2, "_correlation_id": "w1", "_source_component": "hub"})")));
    // The result is told as coming from the provider that ran it.
    BOOST_TEST(js(events[2].payload) == js(obj(R"({"task_id": "a", "result": {"text": "hi"},
        "workflow_id": "w1", "seq": 3, "_correlation_id": "w1", "_source_component": "p1"})")));
    BOOST_TEST(events[3].rooms == (strings{"workflow:w1", "workflows", "workflow-end:w1"}),
               boost::test_tools::per_element());
    BOOST_TEST(js(events[3].payload) == js(obj(R"({"state": "completed", "results": {"a": {"text": "hi"}},
        "workflow_id": "w1", "seq": 4, "_correlation_id": "w1", "_source_component": "hub"})")));

    BOOST_TEST(js(task_status("w1", "a")) ==
               js(obj(R"({"state": "completed", "attempt": 1, "result": {"text": "hi"}})")));
    // Durable: the workflow's end, the task and its result are in the file.
    BOOST_TEST(rows("SELECT state FROM workflows WHERE id = 'w1'") == strings{"completed"},
               boost::test_tools::per_element());
    BOOST_TEST(rows("SELECT state, attempt FROM tasks WHERE id = 'w1/a'") == strings{"completed|1"},
               boost::test_tools::per_element());
    BOOST_TEST(rows("SELECT ok, provider FROM results WHERE task_id = 'w1/a'") == strings{"1|p1"},
               boost::test_tools::per_element());
}

// Refused whole: the reply says why, no event goes out, nothing is in the file, and the
// same id can be submitted again afterwards (the resolver kept nothing either).
static void check_refused_whole(pipeline_fixture& f, const std::string& workflow,
                                const std::string& code, const std::string& message) {
    auto reply = f.submit(workflow);
    BOOST_TEST(js(reply) == js(json::object{
                                {"ok", false},
                                {"error", json::object{{"code", code}, {"message", message}}}}));
    BOOST_TEST(f.events.empty());
    BOOST_TEST(f.joined.empty());
    BOOST_TEST(f.rows("SELECT id FROM workflows").empty());
    BOOST_TEST(f.rows("SELECT id FROM tasks").empty());
    BOOST_TEST(f.queued().empty());
    BOOST_TEST(js(f.status_all()) == R"({"ok":true,"workflows":[]})");
    BOOST_TEST(f.status("w1").at("ok").as_bool() == false);
}

BOOST_AUTO_TEST_CASE(workflow_with_a_cycle_is_refused_whole_and_nothing_is_saved) {
    add_remote("p1", 4);
    check_refused_whole(*this, R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "dependencies": ["b"]},
        {"id": "b", "protocol": "echo/v1", "method": "echo", "dependencies": ["a"]}]})",
                        "invalid_workflow", "dependency cycle: a -> b -> a");
}

BOOST_AUTO_TEST_CASE(workflow_with_an_unknown_dependency_is_refused_whole) {
    add_remote("p1", 4);
    check_refused_whole(*this, R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"},
        {"id": "b", "protocol": "echo/v1", "method": "echo", "dependencies": ["x"]}]})",
                        "invalid_workflow", "task 'b' depends on unknown task 'x'");
}

BOOST_AUTO_TEST_CASE(params_that_fail_the_protocol_schema_refuse_the_workflow_whole) {
    // The registry knows echo/v1 from the provider: text must be a string.
    auto p1 = add_remote("p1", 4);
    check_refused_whole(*this, R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "params": {"text": "fine"}},
        {"id": "b", "protocol": "echo/v1", "method": "echo", "params": {"text": 42}}]})",
                        "invalid_workflow", "task 'b': echo/v1 echo: params.text: expected a string, got number");
    BOOST_TEST(p1->calls().empty());
}

BOOST_AUTO_TEST_CASE(unknown_version_of_a_known_protocol_refuses_the_workflow_whole) {
    // echo is a family the registry knows: echo/v9 is a mistake, not a provider yet to come.
    add_remote("p1", 4);
    check_refused_whole(*this, R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v9", "method": "echo", "params": {"text": "x"}}]})",
                        "invalid_workflow", "task 'a': unknown protocol 'echo/v9' (known: echo/v1)");
}

BOOST_AUTO_TEST_CASE(duplicate_workflow_id_is_refused_and_the_first_runs_on) {
    auto p1 = add_remote("p1", 4);
    const std::string w = R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "params": {"text": "first"}}]})";
    BOOST_TEST(submit(w).at("ok").as_bool());
    auto again = submit(w);
    BOOST_TEST(js(again) == js(obj(R"({"ok": false, "error": {"code": "invalid_workflow",
        "message": "a workflow with id 'w1' exists already"}})")));
    // Not a second run, nor a second row.
    BOOST_TEST(p1->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    BOOST_TEST(rows("SELECT id FROM workflows") == strings{"w1"}, boost::test_tools::per_element());
    p1->answer("w1/a", "done");
    drive();
    BOOST_TEST(workflow_state("w1") == "completed");
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_started a", "task_completed a",
                                         "workflow_completed"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(dependent_runs_only_after_its_dependency_with_the_result_substituted) {
    auto p1 = add_remote("p1", 4);
    submit(R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "params": {"text": "x"}},
        {"id": "b", "protocol": "echo/v1", "method": "echo", "dependencies": ["a"],
         "params": {"text": "${a.result.words[1]}"}}]})");
    // b has a free credit but waits for a.
    BOOST_TEST(p1->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    BOOST_TEST(task_state("w1", "b") == "pending");
    p1->answer("w1/a", obj(R"({"words": ["hello", "world"]})"));
    drive();
    BOOST_TEST_REQUIRE(p1->call_ids() == (strings{"w1/a", "w1/b"}), boost::test_tools::per_element());
    BOOST_TEST(js(p1->last_call("w1/b").call.call.params) == R"({"text":"world"})");
    p1->answer("w1/b", "world");
    drive();
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_started a", "task_completed a",
                                         "task_started b", "task_completed b", "workflow_completed"}),
               boost::test_tools::per_element());
    BOOST_TEST(js(last_event("workflow_completed").payload.at("results")) ==
               R"({"a":{"words":["hello","world"]},"b":"world"})");
}

BOOST_AUTO_TEST_CASE(query_status_answers_one_workflow_and_the_list) {
    auto p1 = add_remote("p1", 4);
    submit(R"({"id": "w1", "name": "first", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"},
        {"id": "b", "protocol": "echo/v1", "method": "echo", "dependencies": ["a"]}]})");
    submit(R"({"id": "w2", "name": "second", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"}]})");
    p1->answer("w2/a", 7);
    drive();

    BOOST_TEST(js(status("w1")) == js(obj(R"({"ok": true, "workflow": {"id": "w1", "name": "first",
        "state": "running", "tasks": {"a": {"state": "executing", "attempt": 1},
                                      "b": {"state": "pending", "attempt": 0}}}})")));
    BOOST_TEST(js(status("w2")) == js(obj(R"({"ok": true, "workflow": {"id": "w2", "name": "second",
        "state": "completed", "tasks": {"a": {"state": "completed", "attempt": 1, "result": 7}}}})")));
    BOOST_TEST(js(status_all()) == js(obj(R"({"ok": true, "workflows": [
        {"id": "w1", "name": "first", "state": "running", "tasks": 2, "open": 2},
        {"id": "w2", "name": "second", "state": "completed", "tasks": 1, "open": 0}]})")));
    BOOST_TEST(js(status("nope")) == js(obj(R"({"ok": false, "error": {"code": "not_found",
        "message": "no workflow 'nope'"}})")));
}

BOOST_AUTO_TEST_CASE(keep_finished_forgets_the_oldest_finished_workflow_from_memory) {
    make_pipeline(1);
    auto p1 = add_remote("p1", 4);
    for (const auto* id : {"w1", "w2"}) {
        submit(std::string(R"({"id": ")") + id +
               R"(", "tasks": [{"id": "a", "protocol": "echo/v1", "method": "echo"}]})");
        p1->answer(std::string(id) + "/a", id);
        drive();
    }
    submit(R"({"id": "w3", "tasks": [{"id": "a", "protocol": "echo/v1", "method": "echo"}]})");
    // w1 is gone from memory (the list holds only what the hub keeps); w2, the newest
    // finished, and w3, running, stay.
    auto list = status_all().at("workflows").as_array();
    strings ids;
    for (const auto& w : list)
        ids.push_back(std::string(w.at("id").as_string()));
    BOOST_TEST(ids == (strings{"w2", "w3"}), boost::test_tools::per_element());
    // It is still in the file, and query_status reads it from there in the same shape.
    BOOST_TEST(js(status("w1")) == js(obj(R"({"ok": true, "workflow": {"id": "w1", "name": "",
        "state": "completed", "tasks": {"a": {"state": "completed", "attempt": 1, "result": "w1"}}}})")));
}

// [state] keep_finished_tasks: a few huge finished workflows must not hold the memory of a
// thousand small ones; the oldest go first, and query_status reads them from the file.
BOOST_AUTO_TEST_CASE(keep_finished_tasks_forgets_the_oldest_once_their_tasks_pass_it) {
    make_pipeline(1000, 0, 3);
    auto p1 = add_remote("p1", 4);
    auto two = [](const std::string& id) {
        return R"({"id": ")" + id + R"(", "tasks": [
            {"id": "a", "protocol": "echo/v1", "method": "echo"},
            {"id": "b", "protocol": "echo/v1", "method": "echo"}]})";
    };
    for (const std::string id : {"w1", "w2"}) {
        submit(two(id));
        p1->answer(id + "/a", json::value(id));
        p1->answer(id + "/b", json::value(id));
        drive();
    }
    // Four finished tasks are over three: w1 went, w2 (two tasks) stays.
    auto list = status_all().at("workflows").as_array();
    strings ids;
    for (const auto& w : list)
        ids.push_back(std::string(w.at("id").as_string()));
    BOOST_TEST(ids == strings{"w2"}, boost::test_tools::per_element());
    BOOST_TEST(js(status("w1").at("workflow").at("tasks").at("b")) ==
               R"({"state":"completed","attempt":1,"result":"w1"})");
}

BOOST_AUTO_TEST_CASE(watch_end_joins_the_room_of_the_workflow_events_only) {
    auto p1 = add_remote("p1", 4);
    auto reply = submit_value(json::object{
        {"watch", "end"},
        {"workflow", obj(R"({"id": "w1", "tasks": [{"id": "a", "protocol": "echo/v1", "method": "echo"}]})")}});
    BOOST_TEST(reply.at("ok") == true);
    BOOST_TEST(joined == strings{"workflow-end:w1"}, boost::test_tools::per_element());
    p1->answer("w1/a", "done");
    drive();
    strings to_end_room;
    for (const auto& e : events)
        if (std::find(e.rooms.begin(), e.rooms.end(), "workflow-end:w1") != e.rooms.end())
            to_end_room.push_back(e.event);
    BOOST_TEST(to_end_room == (strings{"workflow_started", "workflow_completed"}),
               boost::test_tools::per_element());
    BOOST_TEST(js(submit_value(json::object{{"watch", "tasks"}, {"workflow", obj(R"({"tasks": []})")}})) ==
               js(obj(R"({"ok": false, "error": {"code": "invalid_argument",
                   "message": "submit_workflow's watch is \"all\" (the default) or \"end\""}})")));
}

BOOST_AUTO_TEST_SUITE_END()
