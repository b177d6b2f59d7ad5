#include "pipeline_fixture.hpp"

#include "resolver_dag.hpp"

#include <boost/json/value_from.hpp>

#include <stdexcept>

namespace hub_test {

json::object obj(const std::string& text) {
    return json::parse(text).as_object();
}

std::string js(const json::value& v) {
    return json::serialize(v);
}

gleitzeit::protocol_spec echo_spec() {
    return gleitzeit::protocol_spec{
        "echo/v1",
        "echoes its text",
        {gleitzeit::method_spec{"echo", "", obj(R"({"text": {"type": "string"}})")},
         gleitzeit::method_spec{"wait", "", obj(R"({"ms": {"type": "integer"}})")}}};
}

pipeline_fixture::pipeline_fixture(std::size_t keep_finished) : db_path(dir.file("state.db")) {
    slots.queue_slot = std::make_shared<gleitzeit::queue_memory>(json::object{}, 1);
    slots.resolver_slot = std::make_shared<gleitzeit::resolver_dag>(json::object{});
    slots.registry_slot = std::make_shared<gleitzeit::registry_default>(json::object{});
    // synchronous=normal: a crash of the test is no power loss, and fsyncs would slow it.
    slots.persistence_slot = std::make_shared<gleitzeit::persistence_sqlite>(
        json::object{{"path", db_path}, {"synchronous", "normal"}});
    make_pipeline(keep_finished);
}

pipeline_fixture::~pipeline_fixture() {
    // What is still posted holds the pipeline's state; let it finish before the slots go.
    // No drive(): it may fail the test, and a destructor must not throw. Bounded, so that a
    // livelock already reported does not hang the run here.
    for (auto& l : remotes_)
        l->hang_up();
    slots.hang_up();
    pipe.reset();
    ioc.restart();
    for (std::size_t i = 0; i < 1'000'000 && ioc.poll_one() > 0; ++i) {
    }
}

void pipeline_fixture::make_pipeline(std::size_t keep_finished, std::size_t max_result,
                                     std::size_t keep_finished_tasks) {
    pipe.reset();
    drive();
    pipe = std::make_unique<gleitzeit::hub::pipeline>(
        ioc, slots, clock,
        [this](const std::vector<std::string>& rooms, std::string_view event, json::object p) {
            p.erase("_timestamp");
            events.push_back({rooms, std::string(event), std::move(p)});
        },
        keep_finished, max_result, keep_finished_tasks);
}

void pipeline_fixture::drive() {
    // A pipeline that keeps posting work to itself (a task bounced between the queue and a
    // provider that never takes it) fails the test instead of hanging it.
    // One handler at a time: poll() runs what handlers post while it runs, so it would not
    // return from a livelock to be counted.
    std::size_t handlers = 0;
    do {
        ioc.restart();
        while (ioc.poll_one() > 0)
            if (++handlers > 1'000'000)
                BOOST_FAIL("the io_context never went idle: the pipeline livelocks");
    } while (clock.fire_due({}));
}

void pipeline_fixture::advance(std::chrono::milliseconds by) {
    clock.advance(by, [this] { drive(); });
}

json::object pipeline_fixture::submit_value(const json::value& payload) {
    reply_box r;
    pipe->submit(
        payload, [this](const std::string& room) { joined.push_back(room); }, r.fn());
    drive();
    BOOST_TEST_REQUIRE(r.count == 1u, "submit replied " << r.count << " times");
    return *r.value;
}

json::object pipeline_fixture::submit(const std::string& workflow_text) {
    return submit_value(json::object{{"workflow", json::parse(workflow_text)}});
}

json::object pipeline_fixture::status(const std::string& id) {
    return query(json::object{{"workflow_id", id}});
}

json::object pipeline_fixture::query(const json::object& payload) {
    reply_box r;
    pipe->status(payload, r.fn());
    drive();
    BOOST_TEST_REQUIRE(r.count == 1u, "query_status replied " << r.count << " times");
    return *r.value;
}

json::object pipeline_fixture::status_all() {
    reply_box r;
    pipe->status(json::object{}, r.fn());
    drive();
    BOOST_TEST_REQUIRE(r.count == 1u, "query_status replied " << r.count << " times");
    return *r.value;
}

json::object pipeline_fixture::cancel(const std::string& id) {
    reply_box r;
    pipe->cancel(json::object{{"workflow_id", id}}, r.fn());
    drive();
    BOOST_TEST_REQUIRE(r.count == 1u, "cancel_workflow replied " << r.count << " times");
    return *r.value;
}

json::object pipeline_fixture::task_status(const std::string& wf, const std::string& task) {
    auto s = status(wf);
    const auto* w = s.if_contains("workflow");
    BOOST_TEST_REQUIRE(w != nullptr, "no workflow " << wf << ": " << js(s));
    const auto* t = w->as_object().at("tasks").as_object().if_contains(task);
    BOOST_TEST_REQUIRE(t != nullptr, "no task " << task << " in " << js(s));
    return t->as_object();
}

std::string pipeline_fixture::task_state(const std::string& wf, const std::string& task) {
    return std::string(task_status(wf, task).at("state").as_string());
}

std::string pipeline_fixture::workflow_state(const std::string& wf) {
    auto s = status(wf);
    const auto* w = s.if_contains("workflow");
    BOOST_TEST_REQUIRE(w != nullptr, "no workflow " << wf << ": " << js(s));
    return std::string(w->as_object().at("state").as_string());
}

std::shared_ptr<fake_link>
pipeline_fixture::add_remote(const std::string& name, std::size_t max_concurrency,
                             std::vector<gleitzeit::protocol_spec> specs) {
    auto link = remotes_.emplace_back(std::make_shared<fake_link>(name));
    bool done = false;
    pipe->add_provider(name, std::move(specs), max_concurrency, link, [&done] { done = true; });
    drive();
    BOOST_TEST_REQUIRE(done, "add_provider never said done");
    return link;
}

std::size_t pipeline_fixture::remove_remote(const std::string& name) {
    std::optional<std::size_t> requeued;
    pipe->remove_provider(name, [&requeued](std::size_t n) { requeued = n; });
    drive();
    BOOST_TEST_REQUIRE(requeued.has_value(), "remove_provider never said done");
    return *requeued;
}

std::string pipeline_fixture::recover() {
    std::optional<std::string> summary;
    pipe->recover([&summary](const std::string& s) { summary = s; });
    drive();
    BOOST_TEST_REQUIRE(summary.has_value(), "recover never said done");
    return *summary;
}

json::array pipeline_fixture::providers() {
    std::optional<json::array> out;
    pipe->providers([&out](json::array a) { out = std::move(a); });
    drive();
    BOOST_TEST_REQUIRE(out.has_value(), "providers never answered");
    return *out;
}

std::vector<std::string> pipeline_fixture::event_names(const std::string& wf) const {
    std::vector<std::string> out;
    for (const auto& e : events) {
        const auto* w = e.payload.if_contains("workflow_id");
        if (!wf.empty() && (!w || !w->is_string() || w->get_string() != wf))
            continue;
        const auto* t = e.payload.if_contains("task_id");
        out.push_back(t && t->is_string() ? e.event + " " + std::string(t->get_string()) : e.event);
    }
    return out;
}

const emitted& pipeline_fixture::last_event(const std::string& event,
                                            const std::string& task_id) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
        if (it->event != event)
            continue;
        const auto* t = it->payload.if_contains("task_id");
        if (task_id.empty() || (t && t->is_string() && t->get_string() == task_id))
            return *it;
    }
    throw std::logic_error("no event " + event + " " + task_id);
}

std::vector<std::string> pipeline_fixture::rows(const std::string& sql) {
    raw_db raw(db_path);
    return raw.rows(sql);
}

std::vector<std::string> pipeline_fixture::queued() const {
    auto* q = dynamic_cast<gleitzeit::queue*>(slots.queue_slot.get());
    return q ? q->list(0, 1000) : std::vector<std::string>{};
}

} // namespace hub_test
