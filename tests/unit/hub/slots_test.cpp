// Slots that throw, slots that are empty, and a slot filled anew: the pipeline fails only what
// it must, and keeps nothing of a workflow it could not make durable.

#include "pipeline_fixture.hpp"

using namespace hub_test;
using strings = std::vector<std::string>;

namespace {

std::string one_task(const std::string& wf) {
    return R"({"id": ")" + wf + R"(", "tasks": [{"id": "a", "protocol": "echo/v1", "method": "echo"}]})";
}

/// Workflow w1 (one_task) submitted and called on remote provider p1, over a
/// persistence-sqlite whose saves can then be made to fail: the store and p1.
std::pair<std::shared_ptr<failing_persistence>, std::shared_ptr<fake_link>> w1_running(
    pipeline_fixture& f) {
    auto store = std::make_shared<failing_persistence>(f.db_path);
    store->failing = false;
    f.slots.persistence_slot = store;
    auto p1 = f.add_remote("p1", 4);
    BOOST_TEST(f.submit(one_task("w1")).at("ok").as_bool());
    return {store, p1};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(hub_pipeline_slots, pipeline_fixture)

BOOST_AUTO_TEST_CASE(queue_that_throws_on_enqueue_fails_that_task_with_internal) {
    slots.queue_slot = std::make_shared<refusing_queue>(std::set<std::string>{"bad/a"});
    auto p1 = add_remote("p1", 4);
    BOOST_TEST(submit(one_task("good")).at("ok").as_bool());
    BOOST_TEST(submit(one_task("bad")).at("ok").as_bool());
    BOOST_TEST(js(task_status("bad", "a")) == js(obj(R"({"state": "failed", "attempt": 0,
        "error": {"code": "internal", "message": "refusing_queue refuses bad/a",
                  "retryable": false}})")));
    BOOST_TEST(workflow_state("bad") == "failed");
    // The other workflow is not touched.
    BOOST_TEST(p1->call_ids() == strings{"good/a"}, boost::test_tools::per_element());
    p1->answer("good/a", "fine");
    drive();
    BOOST_TEST(workflow_state("good") == "completed");
    BOOST_TEST(event_names("bad") == (strings{"workflow_started", "task_failed a", "workflow_failed"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(registry_whose_find_provider_throws_leaves_the_choice_to_the_fallback) {
    auto registry = std::make_shared<broken_choice_registry>();
    slots.registry_slot = registry;
    auto p1 = add_remote("p1", 4);
    submit(one_task("w1"));
    BOOST_TEST(registry->find_calls >= 1u);
    BOOST_TEST_REQUIRE(p1->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    p1->answer("w1/a", "chosen by the hub");
    drive();
    BOOST_TEST(js(task_status("w1", "a")) ==
               R"({"state":"completed","attempt":1,"result":"chosen by the hub"})");
}

// docs/operations.md, "When the state cannot be saved": nothing is told before it is
// durable; a batch that failed is written again until it is; new workflows are refused
// meanwhile with unavailable.
BOOST_AUTO_TEST_CASE(a_failed_save_is_written_again_and_nothing_of_it_is_told_before) {
    auto [store, p1] = w1_running(*this);
    BOOST_TEST_REQUIRE(p1->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    const auto told = events.size();
    // The disk fills: the result comes, and is not told; its row still says executing.
    store->failing = true;
    p1->answer("w1/a", "done");
    drive();
    BOOST_TEST(events.size() == told);
    BOOST_TEST(rows("SELECT state FROM tasks WHERE id = 'w1/a'") == strings{"executing"});
    // A submission meanwhile: refused at once, nothing of it kept.
    BOOST_TEST(js(submit(one_task("w2"))) ==
               js(obj(R"({"ok": false, "error": {"code": "unavailable", "message":
                   "the hub cannot save its state (disk full); submit the workflow again later"}})")));
    // Written again after a backoff, and again.
    const auto refused = store->refused_saves;
    advance(3000ms);
    BOOST_TEST(store->refused_saves > refused);
    BOOST_TEST(events.size() == told);
    // The disk has room again: the next attempt saves, and then it is told, once.
    store->failing = false;
    advance(3000ms);
    BOOST_TEST(rows("SELECT state FROM tasks WHERE id = 'w1/a'") == strings{"completed"});
    BOOST_TEST(event_names() == (strings{"workflow_started", "task_started a", "task_completed a",
                                         "workflow_completed"}),
               boost::test_tools::per_element());
    BOOST_TEST(rows("SELECT id FROM workflows ORDER BY id") == strings{"w1"});
    BOOST_TEST(submit(one_task("w2")).at("ok").as_bool());
}

// docs/events.md, query_status: the book knows a result before it is durable, and a crash
// in between would undo it. query_status tells it only once it is durable (the soak found a
// result told this way, then lost to a kill -9, then run again).
BOOST_AUTO_TEST_CASE(query_status_tells_only_what_is_durable) {
    auto [store, p1] = w1_running(*this);
    store->failing = true;
    p1->answer("w1/a", "done");
    drive();
    const auto unavailable = js(obj(R"({"ok": false, "error": {"code": "unavailable", "message":
        "the hub cannot save its state (disk full); what it holds now may not survive a crash: ask again later"}})"));
    BOOST_TEST(js(status("w1")) == unavailable);
    BOOST_TEST(js(query(obj(R"({"workflow_id": "w1", "task_id": "a"})"))) == unavailable);
    BOOST_TEST(js(status_all()) == unavailable);
    store->failing = false;
    advance(3000ms);
    BOOST_TEST(js(task_status("w1", "a")) == R"({"state":"completed","attempt":1,"result":"done"})");
    BOOST_TEST(js(status_all().at("workflows").at(0).at("state")) == R"("completed")");
}

BOOST_AUTO_TEST_CASE(a_submission_whose_save_fails_is_answered_once_it_is_saved) {
    auto store = std::make_shared<failing_persistence>(db_path);
    slots.persistence_slot = store;
    auto p1 = add_remote("p1", 4);
    reply_box r;
    pipe->submit(json::object{{"workflow", json::parse(one_task("w1"))}},
                 [this](const std::string& room) { joined.push_back(room); }, r.fn());
    drive();
    BOOST_TEST(r.count == 0u);
    BOOST_TEST(events.empty());
    BOOST_TEST(joined.empty());
    BOOST_TEST(p1->calls().empty());
    BOOST_TEST(rows("SELECT id FROM workflows").empty());
    store->failing = false;
    advance(3000ms);
    BOOST_TEST_REQUIRE(r.count == 1u);
    BOOST_TEST(r.value->at("ok").as_bool());
    BOOST_TEST(joined == strings{"workflow:w1"}, boost::test_tools::per_element());
    BOOST_TEST(p1->call_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    BOOST_TEST(rows("SELECT id FROM workflows") == strings{"w1"});
}

// A crash right after the ack must not bring a cancelled workflow back (issue 18's soak).
BOOST_AUTO_TEST_CASE(cancel_workflow_is_acknowledged_once_the_cancel_is_durable) {
    auto [store, p1] = w1_running(*this);
    store->failing = true;
    reply_box r;
    pipe->cancel(json::object{{"workflow_id", "w1"}}, r.fn());
    drive();
    BOOST_TEST(r.count == 0u);
    BOOST_TEST(rows("SELECT state FROM workflows WHERE id = 'w1'") == strings{"running"});
    store->failing = false;
    advance(3000ms);
    BOOST_TEST_REQUIRE(r.count == 1u);
    BOOST_TEST(js(*r.value) == js(obj(R"({"ok": true, "workflow_id": "w1"})")));
    BOOST_TEST(rows("SELECT state FROM workflows WHERE id = 'w1'") == strings{"cancelled"});
}

BOOST_AUTO_TEST_CASE(empty_resolver_slot_refuses_the_submit) {
    slots.resolver_slot = nullptr;
    auto p1 = add_remote("p1", 4);
    BOOST_TEST(js(submit(one_task("w1"))) == js(obj(R"({"ok": false, "error": {"code": "not_found",
        "message": "the resolver slot is empty"}})")));
    BOOST_TEST(events.empty());
    BOOST_TEST(p1->calls().empty());
    BOOST_TEST(rows("SELECT id FROM workflows").empty());
    BOOST_TEST(js(status_all()) == R"({"ok":true,"workflows":[]})");
}

BOOST_AUTO_TEST_CASE(filled_queue_slot_gets_the_ready_tasks_back) {
    auto p1 = add_remote("p1", 1);
    submit(R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"},
        {"id": "b", "protocol": "echo/v1", "method": "echo"},
        {"id": "c", "protocol": "echo/v1", "method": "echo"}]})");
    BOOST_TEST(queued() == (strings{"w1/b", "w1/c"}), boost::test_tools::per_element());
    // The queue went (a plugin unloaded) and a new one, empty, came.
    slots.queue_slot = std::make_shared<gleitzeit::queue_memory>(json::object{}, 1);
    BOOST_TEST(queued().empty());
    pipe->slot_filled(gleitzeit::slot_kind::queue);
    drive();
    BOOST_TEST(queued() == (strings{"w1/b", "w1/c"}), boost::test_tools::per_element());
    // And the work goes on from it.
    p1->answer("w1/a", "a");
    drive();
    BOOST_TEST(p1->open_ids() == strings{"w1/b"}, boost::test_tools::per_element());
    BOOST_TEST(queued() == strings{"w1/c"}, boost::test_tools::per_element());
}

// The race of a refilled queue (issue 18): a dispatch round takes b out of the new queue while
// the fill's put-back, which still saw b ready, is on its way. The put-back waits for the
// round, so no stale copy of b stays behind; and b's retry is not refused as a duplicate.
BOOST_AUTO_TEST_CASE(refilled_queue_keeps_no_stale_copy_of_a_task_a_round_takes_out) {
    auto p1 = add_remote("p1", 1);
    submit(R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo"},
        {"id": "b", "protocol": "echo/v1", "method": "echo",
         "retry": {"max_attempts": 2, "base_delay_ms": 100, "jitter": 0}}]})");
    BOOST_TEST_REQUIRE(p1->open_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    // A new queue, which b reached already (its batch came after the fill).
    auto fresh = std::make_shared<gleitzeit::queue_memory>(json::object{}, 1);
    fresh->enqueue(slots.queue_slot->dequeue({}).value()); // ids in a queue are qualified
    slots.queue_slot = fresh;
    // a's result frees p1, whose round goes out before the fill's put-back is gathered.
    p1->answer("w1/a", "a");
    pipe->slot_filled(gleitzeit::slot_kind::queue);
    drive();
    BOOST_TEST(p1->open_ids() == strings{"w1/b"}, boost::test_tools::per_element());
    BOOST_TEST(queued().empty());
    // b fails and is retried: its new copy goes in, and it runs again.
    p1->fail("w1/b", gleitzeit::error_code::provider_error, "busy", true);
    drive();
    advance(100ms);
    BOOST_TEST_REQUIRE(p1->calls().size() == 3u);
    BOOST_TEST(p1->calls()[2].call.attempt == 2u);
    p1->answer("w1/b", "b");
    drive();
    BOOST_TEST(workflow_state("w1") == "completed");
}

// However a stale copy got into a queue (a remote queue that kept what it was given, say),
// the pipeline's copy of a task is the current one: a retry replaces the stale copy instead
// of failing as a duplicate, and a stale copy taken out while its task runs is dropped
// without counting a call on the provider.
BOOST_AUTO_TEST_CASE(stale_copy_in_the_queue_is_replaced_by_a_retry_and_dropped_when_taken) {
    auto p1 = add_remote("p1", 1);
    submit(R"({"id": "w1", "tasks": [
        {"id": "a", "protocol": "echo/v1", "method": "echo", "priority": "high",
         "retry": {"max_attempts": 3, "base_delay_ms": 100, "jitter": 0}},
        {"id": "b", "protocol": "echo/v1", "method": "echo"}]})");
    BOOST_TEST_REQUIRE(p1->open_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    // A stale copy of a, behind b.
    gleitzeit::task stale;
    stale.id = "w1/a";
    stale.workflow_id = "w1";
    stale.protocol = "echo/v1";
    stale.method = "echo";
    stale.priority = gleitzeit::priority::low;
    slots.queue_slot->enqueue(stale);
    p1->fail("w1/a", gleitzeit::error_code::provider_error, "busy", true);
    drive();
    BOOST_TEST_REQUIRE(p1->open_ids() == strings{"w1/b"}, boost::test_tools::per_element());
    // a's retry is due while the stale copy is still queued: a's copy replaces it.
    advance(100ms);
    BOOST_TEST(task_state("w1", "a") == "ready");
    BOOST_TEST(queued() == strings{"w1/a"}, boost::test_tools::per_element());
    p1->answer("w1/b", "b");
    drive();
    BOOST_TEST_REQUIRE(p1->open_ids() == strings{"w1/a"}, boost::test_tools::per_element());
    BOOST_TEST(p1->calls().back().call.attempt == 2u);
    // A stale copy taken out while a runs, by the round of a provider that registers: not
    // started again, and not counted on that provider.
    slots.queue_slot->enqueue(stale);
    auto p2 = add_remote("p2", 1);
    BOOST_TEST(p2->calls().empty());
    BOOST_TEST(queued().empty());
    p1->answer("w1/a", "done");
    drive();
    BOOST_TEST(js(task_status("w1", "a")) == R"({"state":"completed","attempt":2,"result":"done"})");
    BOOST_TEST(workflow_state("w1") == "completed");
    // Once a round has told the registry the changes, it counts no call on p2.
    submit(one_task("w2"));
    auto registry = slots.registry_slot->export_state({"registry/1"});
    BOOST_TEST(js(registry.at("providers")) ==
               R"([{"id":"p1","protocols":["echo/v1"],"max_concurrency":1,"load":1},)"
               R"({"id":"p2","protocols":["echo/v1"],"max_concurrency":1,"load":0}])");
}

BOOST_AUTO_TEST_SUITE_END()
