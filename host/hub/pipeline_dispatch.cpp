// The pipeline from ready to executing: tasks go to the queue slot, dispatch rounds take
// them out for free provider credits (max_concurrency), the registry slot chooses each one's
// provider (find_provider: least loaded, then round-robin), and the call starts with the
// hub's timeout. One round is one trip to the queue's strand and one to the registry's, for as
// many tasks as there are free credits. Also: what the providers serve, told to the registry.

#include "hub/json_size.hpp"
#include "hub/pipeline_state.hpp"
#include "log/log.hpp"

#include <gleitzeit/provider.hpp>
#include <gleitzeit/queue.hpp>
#include <gleitzeit/registry.hpp>


#include <mutex>

namespace gleitzeit::hub {

namespace {

/// Fails a result too large for the events that would carry it to every client (max_result,
/// pipeline.hpp; docs/events.md, execute_method). Not retryable: the same call gives the
/// same result.
void bound_result(task_result& r, std::size_t max_result) {
    if (max_result == 0 || !r.ok())
        return;
    const auto size = json_size(*r.result);
    if (size <= max_result)
        return;
    r.result.reset();
    r.error = task_error{error_code::provider_error,
                         "the result is " + std::to_string(size) +
                             " bytes of JSON, over [server] max_payload (" +
                             std::to_string(max_result) + " bytes)",
                         false};
}

/// Enqueues `t`. A copy of it already queued is stale, since the pipeline's is the current
/// one (a task retried or requeued while a refilled queue still held it, or a remote queue
/// that kept what it was given): the copy is replaced rather than the task failed.
void enqueue_current(queue& q, const task& t) {
    try {
        q.enqueue(qualified(t));
    } catch (const error& e) {
        if (e.code() != error_code::invalid_argument || !q.remove(qualified(t.workflow_id, t.id)))
            throw;
        q.enqueue(qualified(t));
    }
}

} // namespace

void pipeline::state::enqueue(std::vector<task> tasks) {
    if (tasks.empty())
        return dispatch();
    // Not saved: a ready task is a pending one whose dependencies' results are durable, and
    // recovery releases it again from them; retries and requeues keep their row.
    for (auto& t : tasks) {
        if (auto* e = book.find_task(t.workflow_id, t.id); e && !providers.served(t.protocol))
            wait_for_provider(*e);
        enqueues.gathering().push_back(std::move(t));
    }
    flush_enqueue();
}

void pipeline::state::flush_enqueue() {
    auto tasks = enqueues.start();
    if (!tasks)
        return;
    slot.with<queue>([self = shared_from_this(), tasks = std::move(*tasks)](queue* q) mutable {
        std::vector<std::pair<task, std::string>> refused;
        for (auto& t : tasks) {
            try {
                if (!q)
                    throw std::runtime_error("the queue slot is empty");
                enqueue_current(*q, t);
                // The queue has its copy: this one's params and strings go now, not after
                // the whole batch (10,000 tasks would be held twice until then).
                t = task{};
            } catch (const std::exception& e) {
                refused.emplace_back(std::move(t), e.what());
            }
        }
        self->on_strand([refused = std::move(refused)](state& s) mutable {
            s.enqueues.arrived();
            for (auto& [t, why] : refused)
                s.finish_task(t.workflow_id, std::string(t.id),
                              task_result{t.id, std::nullopt,
                                          task_error{error_code::internal, why, false}, "", 0});
            s.flush_enqueue();
            s.dispatch();
        });
    });
}

void pipeline::state::dispatch() {
    if (draining)
        return; // the queue keeps what is ready; recovery queues it again after the restart
    providers.rounds.gathering().wanted = true;
    if (providers.rounds.under_way())
        return; // the round under way starts the next one when it is back
    if (refill_queue)
        return put_back_ready(); // no round is out now; it dispatches once they are back
    auto credits = providers.credits();
    if (credits.empty())
        return;
    providers.rounds.start();
    slot.with<queue>([self = shared_from_this(), credits = std::move(credits)](queue* q) mutable {
        std::vector<task> got;
        try {
            if (q)
                got = take_for(*q, std::move(credits));
        } catch (const std::exception& e) {
            // What it handed out before it threw is lost to it, but still ready here: the
            // next refill of the slot or a restart puts it back. Nothing more this round.
            log::error(std::string("the queue slot failed a dequeue: ") + e.what());
        }
        self->on_strand([got = std::move(got)](state& s) mutable {
            if (got.empty()) {
                s.providers.rounds.arrived();
                if (!s.providers.rounds.gathering().empty())
                    s.dispatch();
                return;
            }
            s.slot.with<registry>([self = s.shared_from_this(), got = std::move(got),
                                   changes = s.providers.take_load_changes()](registry* r) mutable {
                std::vector<std::string> chosen(got.size());
                // A registry that fails leaves the choice to the dispatcher's fallback.
                if (r) {
                    try {
                        for (const auto& [provider, delta] : changes)
                            if (delta)
                                r->track_load(provider, delta);
                        for (std::size_t i = 0; i < got.size(); ++i)
                            if (auto who = r->find_provider(got[i].protocol)) {
                                r->track_load(*who, +1);
                                chosen[i] = std::move(*who);
                            }
                    } catch (const std::exception& e) {
                        log::error(std::string("the registry slot failed to choose a provider: ") +
                                   e.what());
                    }
                }
                self->on_strand(
                    [got = std::move(got), chosen = std::move(chosen)](state& s) mutable {
                        s.run_chosen(std::move(got), std::move(chosen));
                    });
            });
        });
    });
}

void pipeline::state::run_chosen(std::vector<task> got, std::vector<std::string> chosen) {
    providers.rounds.arrived();
    std::vector<task> back;
    for (std::size_t i = 0; i < got.size(); ++i) {
        auto& t = got[i];
        if (const auto* who = providers.choose(t, chosen[i]))
            start(*who, std::move(t));
        else if (auto* e = book.find_task(t.workflow_id, t.id);
                 e && e->t.state == task_state::ready)
            back.push_back(e->t); // its provider went meanwhile
    }
    enqueue(std::move(back)); // and runs the next round
}

void pipeline::state::start(const std::string& provider_name, task t) {
    auto* p = providers.find(provider_name);
    auto* e = book.find_task(t.workflow_id, t.id);
    if (!p || !e || e->t.state != task_state::ready) { // cancelled while queued, or a stale copy
        if (p)
            providers.call_dropped(provider_name);
        return;
    }
    providers.call_started(provider_name);
    auto& wf = *book.find(t.workflow_id);
    e->t.state = task_state::executing;
    e->t.attempt += 1;
    e->provider = provider_name;
    save(*e);
    auto attempt = e->t.attempt;
    tell(wf, "task_started", {{"task_id", t.id}, {"provider", provider_name}, {"attempt", attempt}},
         "tasks");
    // The hub enforces the timeout: a provider that never answers still frees the task.
    e->timer = arm(e->t.timeout, [wf = t.workflow_id, id = t.id, attempt, provider_name,
                                  link = p->link](state& s) {
        link->cancel(qualified(wf, id), "timeout");
        s.result(provider_name, wf, attempt,
                 task_result{
                     id, std::nullopt,
                     task_error{error_code::timeout, "no result within the task's timeout", true},
                     provider_name, 0});
    });
    provider_call call{{qualified(t.workflow_id, t.id), t.protocol, t.method, t.params, t.timeout},
                       t.workflow_id,
                       attempt,
                       wf.correlation_id};
    p->link->execute(std::move(call), [self = shared_from_this(), provider_name, wf = t.workflow_id,
                                       id = t.id, attempt](task_result r) {
        r.task_id = id; // the provider knew it qualified
        // Measured here, on the provider's thread, so that the pipeline's strand does not
        // walk a large result.
        bound_result(r, self->max_result);
        self->on_strand([provider_name, wf, attempt, r = std::move(r)](state& s) mutable {
            s.result(provider_name, wf, attempt, std::move(r));
        });
    });
}

void pipeline::state::refresh_providers(std::function<void(state&)> then) {
    struct gathered {
        std::mutex mutex; // the providers answer on their own strands
        std::size_t left = 0;
        std::map<std::string, dispatcher::plugin_provider> providers;
    };
    auto names = slot.providers();
    auto g = std::make_shared<gathered>();
    g->left = names.size();
    auto register_all = [self = shared_from_this(), g, then = std::move(then)] {
        self->slot.with<registry>([self, g, then](registry* r) {
            registration_result out;
            if (r)
                for (const auto& [name, p] : g->providers)
                    register_provider(*r, name, p.protocols, p.max_concurrency, out);
            self->on_strand([g, then, out = std::move(out)](state& s) {
                s.providers.took(out);
                s.providers.set_plugins(
                    g->providers, [&s](const std::string& name) { return s.slot.link(name); });
                s.dispatch();
                if (then)
                    then(s);
            });
        });
    };
    if (names.empty())
        return register_all();
    for (const auto& name : names)
        slot.with_provider(name, [g, name, register_all](provider* p) {
            bool last;
            {
                std::lock_guard lock(g->mutex);
                if (p)
                    g->providers[name] = {p->protocols(), p->max_concurrency()};
                last = --g->left == 0;
            }
            if (last)
                register_all();
        });
}

void pipeline::state::register_with_registry(const std::string& name,
                                             std::vector<protocol_spec> specs,
                                             std::size_t max_concurrency,
                                             std::function<void(state&)> then) {
    slot.with<registry>([self = shared_from_this(), name, max_concurrency, specs = std::move(specs),
                         then](registry* r) {
        registration_result out;
        if (r)
            register_provider(*r, name, specs, max_concurrency, out);
        self->on_strand([out = std::move(out), then](state& s) {
            s.providers.took(out);
            then(s);
        });
    });
}

} // namespace gleitzeit::hub
