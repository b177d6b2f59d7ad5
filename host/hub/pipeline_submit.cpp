// submit_workflow, as a chain of named steps. Each step runs on the pipeline's strand, or on
// a slot's strand and then hands over to the next step on the pipeline's:
//   1. read      the payload becomes a workflow (pipeline::submit, on the caller's thread);
//   2. providers the registry learns the provider plugins' protocols (refresh_providers);
//   3. check     a duplicate id is refused, the registry checks each task's call;
//   4. analyze   the resolver checks the DAG and names the tasks ready at once;
//   5. keep      the workflow is kept and saved; once durable, the submitter joins its room
//                and gets the reply, and its ready tasks are queued.
// A refusal at any step replies {ok: false, error} and keeps nothing.

#include "hub/pipeline_state.hpp"
#include "hub/reply.hpp"
#include "hub/routing.hpp"
#include "sio/protocol/random_id.hpp"

#include <gleitzeit/reference.hpp>
#include <gleitzeit/registry.hpp>
#include <gleitzeit/resolver.hpp>

#include <boost/json/value_to.hpp>

namespace gleitzeit::hub {

namespace json = boost::json;

struct pipeline::state::submission {
    workflow w;
    bool end_only = false; // watch: "end": the submitter follows the workflow_* events only
    std::string correlation;
    std::function<void(const std::string&)> join;
    reply_fn reply;
};

// Step 1. The workflow travels by pointer from here: the closures of the steps are
// std::functions, which copy what they hold, and a copy of 10,000 tasks costs milliseconds.
void pipeline::submit(const json::value& payload, std::function<void(const std::string&)> join,
                      reply_fn reply) {
    const auto* o = payload.if_object();
    const auto* w = o ? o->if_contains("workflow") : nullptr;
    if (!w)
        return reply(failure(error_code::invalid_argument, "submit_workflow needs {workflow}"));
    auto sub = std::make_shared<state::submission>();
    if (const auto* watch = o->if_contains("watch")) {
        if (*watch != "end" && *watch != "all")
            return reply(failure(error_code::invalid_argument,
                                 "submit_workflow's watch is \"all\" (the default) or \"end\""));
        sub->end_only = *watch == "end";
    }
    try {
        sub->w = json::value_to<workflow>(*w);
    } catch (const std::exception& e) {
        return reply(failure(error_code::invalid_workflow, e.what()));
    }
    // The queue, the providers and the persistence slot know a task as <workflow id>/<task
    // id> (task_ids.hpp): with a '/' in a task id, workflow "x" with task "y/z" and workflow
    // "x/y" with task "z" would be one task there (docs/events.md, submit_workflow).
    for (const auto& t : sub->w.tasks)
        if (t.id.find('/') != std::string::npos)
            return reply(failure(error_code::invalid_workflow,
                                 "task '" + t.id + "': a task id may not contain '/'"));
    if (sub->w.id.empty())
        sub->w.id = "wf-" + sio::random_id();
    for (auto& t : sub->w.tasks) {
        t.workflow_id = sub->w.id;
        t.state = task_state::pending;
        t.attempt = 0;
    }
    sub->correlation = correlation_of(payload);
    if (sub->correlation.empty())
        sub->correlation = sub->w.id;
    sub->join = std::move(join);
    sub->reply = std::move(reply);
    // Step 2: providers first, so that the registry knows their protocols at step 3.
    state_->refresh_providers([sub](state& s) { s.check_calls(sub); });
}

// Step 3. Checked: tasks of a protocol whose family the registry knows, except those whose
// params wait for a ${...} result (their types are known only when they are released).
void pipeline::state::check_calls(std::shared_ptr<submission> sub) {
    if (draining)
        return sub->reply(failure(error_code::unavailable,
                                  "the hub is stopping; submit the workflow again once it is back"));
    // Taken now, it would wait for the saves that fail to go through: refused at once.
    if (save_failures > 0)
        return sub->reply(failure(error_code::unavailable,
                                  "the hub cannot save its state (" + save_error +
                                      "); submit the workflow again later"));
    if (book.find(sub->w.id))
        return sub->reply(failure(error_code::invalid_workflow,
                                  "a workflow with id '" + sub->w.id + "' exists already"));
    std::vector<const task*> checked;
    for (const auto& t : sub->w.tasks)
        if (providers.family_known(t.protocol) &&
            !(providers.checked(t.protocol) && holds_reference(t.params)))
            checked.push_back(&t);
    slot.with<registry>([self = shared_from_this(), sub, checked](registry* r) {
        if (r)
            for (const auto* t : checked) {
                try {
                    r->validate_call(t->protocol, t->method, t->params);
                } catch (const gleitzeit::error& e) {
                    return sub->reply(
                        failure(error_code::invalid_workflow, "task '" + t->id + "': " + e.what()));
                }
            }
        self->on_strand([sub](state& s) { s.analyze(sub); });
    });
}

// Step 4.
void pipeline::state::analyze(std::shared_ptr<submission> sub) {
    slot.with<resolver>([self = shared_from_this(), sub](resolver* r) {
        if (!r)
            return sub->reply(failure(error_code::not_found, "the resolver slot is empty"));
        auto a = std::make_shared<workflow_analysis>();
        try {
            *a = r->analyze(sub->w);
        } catch (const gleitzeit::error& e) {
            return sub->reply(failure(e.code(), e.what()));
        } catch (const std::exception& e) {
            return sub->reply(failure(error_code::invalid_workflow, e.what()));
        }
        self->on_strand([sub, a](state& s) { s.keep_analyzed(sub, std::move(*a)); });
    });
}

// Step 5. The reply waits until the workflow is durable, and comes before its first event.
void pipeline::state::keep_analyzed(std::shared_ptr<submission> sub, workflow_analysis a) {
    const auto id = sub->w.id;
    sub->w.state = workflow_state::running;
    if (sub->w.timeout.count() > 0) // saved, so that a restart keeps the same deadline
        sub->w.deadline_ms = time.now_ms() + sub->w.timeout.count();
    save(sub->w); // with its tasks, all pending
    arm_deadline(book.add(std::move(sub->w), sub->correlation));
    // A save that fails is written again until it is durable (a full disk): the reply waits.
    after_saved([sub, id, ready = std::move(a.ready_tasks)](state& s) {
        sub->join(sub->end_only ? end_room(id) : room(id));
        sub->reply({{"ok", true}, {"workflow_id", id}, {"_correlation_id", sub->correlation}});
        s.start_workflow(id, ready);
    });
}

void pipeline::state::start_workflow(const std::string& id,
                                     const std::vector<std::string>& ready_ids) {
    auto& wf = *book.find(id);
    tell(wf, "workflow_started", {{"name", wf.w.name}, {"tasks", wf.tasks.size()}}, "workflows");
    std::vector<task> ready;
    ready.reserve(ready_ids.size()); // grown by doubling, 10,000 tasks would take 4.9 MB
    for (const auto& tid : ready_ids) {
        auto& e = wf.tasks.at(tid);
        e.t.state = task_state::ready;
        ready.push_back(e.t);
    }
    enqueue(std::move(ready));
}

} // namespace gleitzeit::hub
