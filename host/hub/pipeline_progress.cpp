// The pipeline from a result on: retry or finish the task, release its dependents through
// the resolver, end the workflow, and tell the rooms.

#include "hub/json_size.hpp"
#include "hub/pipeline_state.hpp"
#include "hub/routing.hpp"

#include <gleitzeit/queue.hpp>
#include <gleitzeit/resolver.hpp>

#include <algorithm>
#include <cstdio>

#include <boost/json/value_from.hpp>

namespace gleitzeit::hub {

namespace json = boost::json;

std::unique_ptr<alarm> pipeline::state::arm(std::chrono::milliseconds delay,
                                            std::function<void(state&)> fn) {
    struct guarded : alarm {
        std::shared_ptr<bool> wanted = std::make_shared<bool>(true);
        std::unique_ptr<alarm> inner;
        ~guarded() override { *wanted = false; }
    };
    auto g = std::make_unique<guarded>();
    // Weak: the state owns the alarm (a task's timer), so a strong hold here would be a cycle
    // that outlives the pipeline whenever an alarm is still pending at its end.
    g->inner = time.after(
        delay, [weak = weak_from_this(), wanted = g->wanted, fn = std::move(fn)]() mutable {
            if (auto self = weak.lock())
                self->on_strand([wanted, fn = std::move(fn)](state& s) {
                    if (*wanted)
                        fn(s);
                });
        });
    return g;
}

void pipeline::state::tell(workflow_entry& wf, std::string_view event, json::object payload,
                           const char* observers, std::string_view source) {
    payload["workflow_id"] = wf.w.id;
    payload["seq"] = ++wf.event_seq;
    stamp(payload, wf.correlation_id, source);
    // The event log keeps what was told; the telling waits until it is durable, and then
    // sends what was logged, without its name.
    payload["event"] = event;
    const auto logged = saves.log(std::move(payload));
    std::vector<std::string> rooms{room(wf.w.id), observers};
    if (event.compare(0, 9, "workflow_") == 0)
        rooms.push_back(end_room(wf.w.id));
    after_saved([rooms = std::move(rooms), event = std::string(event), logged](state& s) {
        auto told = s.saves.take_logged(logged);
        told.erase("event"); // the last key: the others keep their order
        s.emit(rooms, event, std::move(told));
    });
}

void pipeline::state::result(const std::string& provider_name, const std::string& wf_id,
                             unsigned attempt, task_result r) {
    auto* e = book.find_task(wf_id, r.task_id);
    // A late answer (after a timeout, a cancel or a requeue) of an attempt that is over.
    if (!e || e->t.state != task_state::executing || e->t.attempt != attempt ||
        e->provider != provider_name)
        return;
    providers.call_ended(provider_name);
    auto* p = providers.find(provider_name);
    e->timer.reset();
    if (!r.ok() && p && !p->link->alive()) {
        // The provider's connection went, and the news (remove_provider) is still on its
        // way here: this call goes back to the queue like its others, not as an attempt.
        requeue(*e);
        return enqueue({e->t});
    }
    if (!r.ok() && r.error && r.error->retryable && e->t.attempt < e->t.retry.max_attempts)
        return retry(*e, *r.error);
    auto id = r.task_id; // not a reference into r, which moves
    finish_task(wf_id, id, std::move(r));
    dispatch();
}

void pipeline::state::finish_task(const std::string& wf_id, const std::string& id, task_result r) {
    auto* e = book.find_task(wf_id, id);
    if (!e || terminal(e->t.state))
        return;
    auto& wf = *book.find(wf_id);
    e->timer.reset();
    const std::string source = r.provider.empty() ? "hub" : r.provider;
    r.task_id = id;
    if (r.ok()) {
        workflow_book::settle(wf, *e, task_state::completed);
        e->result = r.result;
        tell(wf, "task_completed", {{"task_id", id}, {"result", *r.result}}, "tasks", source);
    } else {
        workflow_book::settle(wf, *e, task_state::failed);
        e->error = r.error;
        tell(wf, "task_failed", {{"task_id", id}, {"error", json::value_from(*r.error)}}, "tasks",
             source);
    }
    save(*e);
    // Dependents are released from a result that is durable: after a crash they will not
    // have run on a result that recovery does not know. The resolver gets the result the
    // batch wrote, not a copy held meanwhile.
    const auto saved = save(wf_id, std::move(r));
    after_saved([wf_id, id, saved](state& s) {
        // Its params, made from other results, are read no more once its row is durable:
        // no retry will come, and query_status does not show them. 40 tasks given a 400 KB
        // result each would hold 16 MB here for as long as the workflow is kept.
        if (auto* done = s.book.find_task(wf_id, id);
            done && done->t.state == task_state::completed && !done->unsaved)
            done->t.params = {};
        s.release(wf_id, s.saves.take_saved(saved));
    });
}

void pipeline::state::release(const std::string& wf_id, task_result r) {
    releases.gathering().emplace_back(wf_id, std::move(r));
    flush_release();
}

void pipeline::state::flush_release() {
    auto batch = releases.start();
    if (!batch)
        return; // the trip under way takes these on its return
    slot.with<resolver>(
        [self = shared_from_this(), batch = std::move(*batch)](resolver* res) mutable {
            struct outcome {
                std::string wf_id;
                task_release rel;
                std::string why;
                bool unknown = false; // the resolver does not know the workflow
            };
            std::vector<outcome> out;
            out.reserve(batch.size());
            for (auto& [wf_id, r] : batch) {
                if (r.task_id.empty()) { // the workflow ended (end_workflow)
                    try {
                        if (res)
                            res->forget(wf_id);
                    } catch (const std::exception&) {
                        // it never knew it (a resolver that came later): nothing to forget
                    }
                    continue;
                }
                auto& o = out.emplace_back(outcome{wf_id, {}, {}});
                try {
                    if (!res)
                        throw std::runtime_error("the resolver slot is empty");
                    o.rel = res->complete(wf_id, r);
                } catch (const gleitzeit::error& e) {
                    o.why = e.what();
                    o.unknown = e.code() == error_code::not_found;
                } catch (const std::exception& e) {
                    o.why = e.what();
                }
            }
            self->on_strand([out = std::move(out)](state& s) mutable {
                s.releases.arrived();
                for (auto& o : out)
                    if (o.unknown)
                        s.reacquaint(o.wf_id); // pipeline_reacquaint.cpp
                    else
                        s.released(o.wf_id, std::move(o.rel), o.why);
                s.flush_release();
            });
        });
}

void pipeline::state::released(const std::string& wf_id, task_release rel, const std::string& why) {
    auto* found = book.find(wf_id);
    if (!found)
        return;
    if (!why.empty())
        return end_workflow(*found, workflow_state::failed, "the resolver failed: " + why);
    apply_release(*found, std::move(rel));
}

void pipeline::state::apply_release(workflow_entry& wf, task_release rel) {
    const auto wf_id = wf.w.id;
    for (const auto& id : rel.skipped)
        if (auto* e = book.find_task(wf_id, id); e && !terminal(e->t.state)) {
            workflow_book::settle(wf, *e, task_state::skipped);
            save(*e);
            tell(wf, "task_skipped", {{"task_id", id}}, "tasks");
        }
    // A dependent whose ${...} did not resolve fails as if it had run and failed: its result
    // is saved and told, and its release (a no-op at the resolver, which failed it) follows.
    for (auto& r : rel.failed)
        if (auto* e = book.find_task(wf_id, r.task_id); e && e->t.state == task_state::pending) {
            auto id = r.task_id;
            finish_task(wf_id, id, std::move(r));
        }
    if (wf.failed > 0 && wf.w.on_failure == failure_policy::fail_fast)
        return end_workflow(wf, workflow_state::failed, "a task failed (fail_fast)");
    std::vector<task> ready;
    for (auto& t : rel.ready_tasks)
        if (auto* e = book.find_task(wf_id, t.id); e && e->t.state == task_state::pending) {
            // Results of max_result each can still add up to params no provider may be sent
            // (a chain that doubles a value): the task fails instead (docs/events.md).
            if (max_result != 0 && t.params.size() != 0) {
                const auto size = json_size(t.params);
                if (size > max_result) {
                    finish_task(wf_id, t.id,
                                task_result{t.id, std::nullopt,
                                            task_error{error_code::invalid_argument,
                                                       "the params are " + std::to_string(size) +
                                                           " bytes of JSON once ${...} are "
                                                           "substituted, over [server] "
                                                           "max_payload (" +
                                                           std::to_string(max_result) + " bytes)",
                                                       false},
                                            "", 0});
                    continue;
                }
            }
            e->t.params = std::move(t.params); // with ${...} references substituted
            e->t.state = task_state::ready;
            ready.push_back(e->t);
        }
    enqueue(std::move(ready));
    if (wf.open == 0) // wf.failed again: params too large may have failed a task just now
        end_workflow(wf, wf.failed > 0 ? workflow_state::failed : workflow_state::completed, "");
}

void pipeline::state::arm_deadline(workflow_entry& wf) {
    if (wf.w.deadline_ms <= 0)
        return;
    const auto left = std::max<std::int64_t>(0, wf.w.deadline_ms - time.now_ms());
    wf.deadline = arm(std::chrono::milliseconds(left), [id = wf.w.id](state& s) {
        auto* wf = s.book.find(id);
        if (!wf)
            return;
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%g", static_cast<double>(wf->w.timeout.count()) / 1000);
        s.end_workflow(*wf, workflow_state::failed,
                       std::string("the workflow's timeout of ") + seconds + " s passed");
    });
}

void pipeline::state::end_results(const workflow_entry& wf, json::object& payload) const {
    // Each result is within max_result, but together they may not be: the end event would
    // then be larger than a client may send, and a connection that reads it whole would be
    // cut off as a slow consumer. It carries none of them instead (docs/events.md).
    json::object results;
    std::size_t size = 0;
    for (const auto& [id, e] : wf.tasks) {
        if (!e.result)
            continue;
        // Measured only when bounded: without a bound nothing would be left out.
        if (max_result != 0 && (size += json_size(*e.result)) > max_result) {
            payload["results"] = json::object{};
            payload["results_omitted"] =
                "the results together are over [server] max_payload (" +
                std::to_string(max_result) +
                " bytes): each is in its task_completed event and in query_status "
                "{workflow_id, task_id}";
            return;
        }
        results[id] = *e.result;
    }
    payload["results"] = std::move(results);
}

void pipeline::state::end_workflow(workflow_entry& wf, workflow_state how, const std::string& why) {
    if (wf.w.state != workflow_state::running)
        return;
    wf.deadline.reset();
    wf.w.state = how;
    workflow saved = wf.w; // without its tasks: they are saved one by one, as they change
    save(std::move(saved));
    // What has not run will not run: take it out of the queue and stop it.
    for (auto& [id, e] : wf.tasks)
        if (!terminal(e.t.state))
            cancel_task(e, why.empty() ? "workflow ended" : why);
    json::object payload{{"state", to_string(how)}};
    end_results(wf, payload);
    if (!why.empty())
        payload["reason"] = why;
    auto event = how == workflow_state::completed   ? "workflow_completed"
                 : how == workflow_state::cancelled ? "workflow_cancelled"
                                                    : "workflow_failed";
    tell(wf, event, std::move(payload), "workflows");
    // The resolver forgets it after the results that wait to reach it: they go the same way,
    // once durable and in order, so none arrives at a resolver that forgot the workflow.
    after_saved([id = wf.w.id](state& s) {
        s.releases.gathering().emplace_back(id, task_result{}); // no task id: forget
        s.flush_release();
        s.keep(id);
    });
}

void pipeline::state::keep(const std::string& workflow_id) {
    for (auto& id : book.keep(workflow_id))
        after_saved([id](state& s) { s.keep(id); });
}

void pipeline::state::cancel_task(task_entry& e, const std::string& reason) {
    auto was = e.t.state;
    workflow_book::settle(*book.find(e.t.workflow_id), e, task_state::cancelled);
    e.timer.reset();
    save(e);
    if (was == task_state::ready)
        slot.with<queue>([id = qualified(e.t.workflow_id, e.t.id)](queue* q) {
            if (q)
                q->remove(id);
        });
    if (was == task_state::executing)
        if (auto* p = providers.find(e.provider)) {
            providers.call_ended(e.provider);
            p->link->cancel(qualified(e.t.workflow_id, e.t.id), reason);
        }
}

} // namespace gleitzeit::hub
