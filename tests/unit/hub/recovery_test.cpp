// Recovery from a persisted state: a persistence-sqlite file holding an unfinished workflow
// as a crashed hub left it, taken up by a fresh pipeline through recover().

#include "pipeline_fixture.hpp"

using namespace hub_test;
using gleitzeit::task;
using gleitzeit::task_state;
using strings = std::vector<std::string>;

namespace {

task saved_task(const std::string& id, task_state s, unsigned attempt,
                std::vector<std::string> deps = {}, json::object params = {}) {
    task t;
    t.id = "w1/" + id; // the store knows tasks by their qualified id
    t.workflow_id = "w1";
    t.protocol = "echo/v1";
    t.method = "echo";
    t.params = std::move(params);
    t.dependencies = std::move(deps);
    t.state = s;
    t.attempt = attempt;
    t.retry.max_attempts = 3;
    return t;
}

/// What a hub that crashed would have left: a done, b running on a's result, c queued,
/// d waiting `retry_in_ms` for its retry, e waiting for b.
void write_crashed_state(gleitzeit::persistence& store, std::int64_t now_ms,
                         std::int64_t retry_in_ms) {
    gleitzeit::workflow w;
    w.id = "w1";
    w.name = "crashed";
    w.state = gleitzeit::workflow_state::running;
    w.tasks = {saved_task("a", task_state::completed, 1, {}, obj(R"({"text": "A"})")),
               saved_task("b", task_state::executing, 1, {"a"}, obj(R"({"text": "${a.result.v}"})")),
               saved_task("c", task_state::ready, 0, {}, obj(R"({"text": "C"})")),
               saved_task("d", task_state::retry_pending, 1, {}, obj(R"({"text": "D"})")),
               saved_task("e", task_state::pending, 0, {"b"}, obj(R"({"text": "${b.result}"})"))};
    w.tasks[3].due_ms = now_ms + retry_in_ms;
    gleitzeit::persistence::batch b;
    b.workflows = {w};
    b.results = {gleitzeit::task_result{"w1/a", obj(R"({"v": "from a"})"), std::nullopt, "old", 3}};
    store.save(b);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(hub_pipeline_recovery, pipeline_fixture)

BOOST_AUTO_TEST_CASE(recovery_runs_executing_and_ready_tasks_again_and_keeps_completed_results) {
    write_crashed_state(*slots.persistence_slot, clock.now_ms(), 5000);
    make_pipeline(); // the restarted hub
    auto p1 = add_remote("p1", 4);
    BOOST_TEST(recover() == "recovered 1 unfinished workflows: 2 tasks back in the queue, "
                            "1 retries waiting for their due time");

    // b runs again on a's saved result; the attempt the crash interrupted counts.
    BOOST_TEST_REQUIRE(p1->call_ids() == (strings{"w1/b", "w1/c"}), boost::test_tools::per_element());
    BOOST_TEST(js(p1->last_call("w1/b").call.call.params) == R"({"text":"from a"})");
    BOOST_TEST(p1->last_call("w1/b").call.attempt == 2u);
    BOOST_TEST(p1->last_call("w1/c").call.attempt == 1u);
    BOOST_TEST(js(task_status("w1", "a")) ==
               R"({"state":"completed","attempt":1,"result":{"v":"from a"}})");
    BOOST_TEST(task_state("w1", "e") == "pending");

    p1->answer("w1/b", "B");
    p1->answer("w1/c", "C");
    drive();
    BOOST_TEST_REQUIRE(p1->open_ids() == strings{"w1/e"}, boost::test_tools::per_element());
    BOOST_TEST(js(p1->last_call("w1/e").call.call.params) == R"({"text":"B"})");
    p1->answer("w1/e", "E");
    advance(5000ms);
    p1->answer("w1/d", "D");
    drive();
    BOOST_TEST(js(last_event("workflow_completed").payload.at("results")) ==
               R"({"a":{"v":"from a"},"b":"B","c":"C","d":"D","e":"E"})");
    BOOST_TEST(rows("SELECT state FROM workflows WHERE id = 'w1'") == strings{"completed"},
               boost::test_tools::per_element());
    // a's result was saved once, before the crash; it is not written again.
    BOOST_TEST(rows("SELECT provider FROM results WHERE task_id = 'w1/a'") == strings{"old"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(recovered_retry_pending_task_waits_for_its_saved_due_time) {
    write_crashed_state(*slots.persistence_slot, clock.now_ms(), 5000);
    // The restart took 1 s: 4 s of the wait are left.
    clock.set(clock.now_ms() + 1000);
    make_pipeline();
    // A provider plugin this time: recover() finds it itself before taking the work up.
    auto plugin = slots.add_plugin_provider("echo-plugin", {echo_spec()}, 8);
    recover();
    BOOST_TEST(plugin->call_ids() == (strings{"w1/b", "w1/c"}), boost::test_tools::per_element());
    BOOST_TEST(js(task_status("w1", "d")) == R"({"state":"retry_pending","attempt":1})");
    advance(3999ms);
    BOOST_TEST(plugin->open_ids() == (strings{"w1/b", "w1/c"}), boost::test_tools::per_element());
    advance(1ms);
    BOOST_TEST_REQUIRE(plugin->open_ids() == (strings{"w1/b", "w1/c", "w1/d"}),
                       boost::test_tools::per_element());
    BOOST_TEST(plugin->last_call("w1/d").call.attempt == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
