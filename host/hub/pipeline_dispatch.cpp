// The pipeline from ready to executing: enqueue, execute with the hub's timeout, retries after
// their backoff, and tasks waiting for a provider. Which provider runs a task is decided in
// pipeline_choice.cpp.

#include "hub/backoff.hpp"
#include "hub/pipeline_state.hpp"
#include "log/log.hpp"

#include <gleitzeit/provider.hpp>
#include <gleitzeit/queue.hpp>
#include <gleitzeit/registry.hpp>

#include <boost/json/value_from.hpp>

#include <mutex>

namespace gleitzeit::hub {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// A refused protocol's calls go unchecked; the provider still serves them.
void register_provider(registry& r, const std::string& name,
                       const std::vector<protocol_spec>& specs, std::size_t max_concurrency,
                       registration_result& out) {
    provider_info info{name, {}, max_concurrency};
    for (const auto& spec : specs) {
        info.protocols.push_back(spec.id);
        try {
            r.register_protocol(spec);
            out.registered.insert(spec.id);
        } catch (const std::exception& e) {
            out.refused.push_back("the registry refused " + spec.id + " of " + name + ": " +
                                  e.what());
        }
    }
    r.register_provider(info);
}

} // namespace

void pipeline::state::took(const registration_result& r) {
    checked_protocols.insert(r.registered.begin(), r.registered.end());
    for (const auto& why : r.refused)
        if (reported.insert(why).second)
            log::warn(why);
}

void pipeline::state::enqueue(std::vector<task> tasks) {
    if (tasks.empty())
        return dispatch();
    // Not saved: a ready task is a pending one whose dependencies' results are durable, and
    // recovery releases it again from them (DESIGN §9); retries and requeues keep their row.
    for (auto& t : tasks) {
        if (auto* e = find_task(t.workflow_id, t.id); e && !served(t.protocol))
            wait_for_provider(*e);
        to_enqueue.push_back(std::move(t));
    }
    flush_enqueue();
}

// Tasks go to the queue in batches: one trip to its strand for all that became ready while
// the previous trip was under way.
void pipeline::state::flush_enqueue() {
    if (enqueuing || to_enqueue.empty())
        return;
    enqueuing = true;
    slot.with<queue>([self = shared_from_this(), tasks = std::exchange(to_enqueue, {})](queue* q) mutable {
        std::vector<std::pair<task, std::string>> refused;
        for (auto& t : tasks) {
            try {
                if (!q)
                    throw std::runtime_error("the queue slot is empty");
                q->enqueue(qualified(t));
            } catch (const std::exception& e) {
                refused.emplace_back(std::move(t), e.what());
            }
        }
        self->on_strand([refused = std::move(refused)](state& s) mutable {
            s.enqueuing = false;
            for (auto& [t, why] : refused)
                s.finish_task(t.workflow_id, std::string(t.id),
                              task_result{t.id, std::nullopt,
                                          task_error{error_code::internal, why, false}, "", 0});
            s.flush_enqueue();
            s.dispatch();
        });
    });
}

// A ready task nobody serves waits for a provider to register, up to its timeout.
void pipeline::state::wait_for_provider(task_entry& e) {
    e.timer = arm(e.t.timeout, [wf = e.t.workflow_id, id = e.t.id](state& s) {
        auto* t = s.find_task(wf, id);
        if (!t || t->t.state != task_state::ready || s.served(t->t.protocol))
            return;
        s.slot.with<queue>([key = qualified(wf, id)](queue* q) {
            if (q)
                q->remove(key);
        });
        auto message = "no provider serves " + t->t.protocol + " (waited " +
                       std::to_string(t->t.timeout.count()) + " ms, the task's timeout)";
        s.finish_task(wf, id,
                          task_result{id, std::nullopt,
                                      task_error{error_code::no_provider, message, false}, "", 0});
    });
}

bool pipeline::state::served(const std::string& protocol) const {
    for (const auto& [name, p] : providers)
        for (const auto& id : p.protocols)
            if (id == protocol)
                return true;
    return false;
}

void pipeline::state::refresh_providers(std::function<void(state&)> then) {
    struct gathered {
        std::mutex mutex;
        std::size_t left = 0;
        std::map<std::string, std::pair<std::vector<protocol_spec>, std::size_t>> providers;
    };
    auto names = slot.providers();
    auto g = std::make_shared<gathered>();
    g->left = names.size();
    auto register_all = [self = shared_from_this(), g, then = std::move(then)] {
        self->slot.with<registry>([self, g, then](registry* r) {
            registration_result out;
            if (r)
                for (const auto& [name, entry] : g->providers)
                    register_provider(*r, name, entry.first, entry.second, out);
            self->on_strand([g, then, out = std::move(out)](state& s) {
                s.took(out);
                // Plugins that went stop being offered work; those that came are added.
                for (auto it = s.providers.begin(); it != s.providers.end();) {
                    auto& [name, e] = *it;
                    if (!e.remote && !g->providers.count(name) && e.in_flight == 0)
                        it = s.providers.erase(it);
                    else
                        ++it;
                }
                for (const auto& [name, entry] : g->providers) {
                    auto& e = s.providers[name];
                    e.protocols.clear();
                    for (const auto& spec : entry.first)
                        e.protocols.push_back(spec.id);
                    e.max_concurrency = entry.second;
                    if (!e.link)
                        e.link = s.slot.link(name);
                }
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
            s.took(out);
            then(s);
        });
    });
}

bool pipeline::state::family_known(const std::string& protocol) const {
    auto name = protocol.substr(0, protocol.find('/'));
    for (const auto& id : checked_protocols)
        if (id.substr(0, id.find('/')) == name)
            return true;
    return false;
}

void pipeline::state::start(const std::string& provider_name, task t) {
    auto& p = providers.at(provider_name);
    auto* e = find_task(t.workflow_id, t.id);
    if (!e || e->t.state != task_state::ready) // cancelled while queued
        return;
    ++p.in_flight;
    auto& wf = workflows.at(t.workflow_id);
    e->t.state = task_state::executing;
    e->t.attempt += 1;
    e->provider = provider_name;
    save(*e);
    auto attempt = e->t.attempt;
    tell(wf, "task_started",
         {{"task_id", t.id}, {"provider", provider_name}, {"attempt", attempt}}, "tasks");
    // The hub enforces the timeout: a provider that never answers still frees the task.
    e->timer = arm(e->t.timeout, [wf = t.workflow_id, id = t.id, attempt, provider_name,
                                  link = p.link](state& s) {
        link->cancel(qualified(wf, id), "timeout");
        s.result(provider_name, wf, attempt,
                     task_result{id, std::nullopt,
                                 task_error{error_code::timeout,
                                            "no result within the task's timeout", true},
                                 provider_name, 0});
    });
    provider_call call{{qualified(t.workflow_id, t.id), t.protocol, t.method, t.params, t.timeout},
                       t.workflow_id,
                       attempt,
                       wf.correlation_id};
    p.link->execute(std::move(call), [self = shared_from_this(), provider_name,
                                      wf = t.workflow_id, id = t.id, attempt](task_result r) {
        r.task_id = id; // the provider knew it qualified
        self->on_strand([provider_name, wf, attempt, r = std::move(r)](state& s) mutable {
            s.result(provider_name, wf, attempt, std::move(r));
        });
    });
}

void pipeline::state::retry(task_entry& e, const task_error& why) {
    e.t.state = task_state::retry_pending;
    auto delay = backoff_delay(e.t.retry, e.t.attempt);
    e.t.due_ms = time.now_ms() + delay.count();
    save(e); // with its due time, so that a restart keeps the retry
    tell(workflows.at(e.t.workflow_id), "task_retrying",
         {{"task_id", e.t.id}, {"attempt", e.t.attempt}, {"delay_ms", delay.count()},
          {"error", json::value_from(why)}},
         "tasks");
    wait_for_retry(e);
    dispatch();
}

void pipeline::state::wait_for_retry(task_entry& e) {
    auto delay = std::chrono::milliseconds(std::max<std::int64_t>(0, e.t.due_ms - time.now_ms()));
    e.timer = arm(delay, [wf = e.t.workflow_id, id = e.t.id](state& s) {
        auto* t = s.find_task(wf, id);
        if (!t || t->t.state != task_state::retry_pending)
            return;
        t->t.state = task_state::ready;
        s.enqueue({t->t});
    });
}

std::size_t pipeline::state::requeue_from(const std::string& provider_name) {
    std::vector<task> back;
    for (auto& [wf_id, wf] : workflows)
        for (auto& [id, e] : wf.tasks)
            if (e.t.state == task_state::executing && e.provider == provider_name) {
                // Not a failed attempt: the provider went, not the task. No late reply of it
                // can pass for the next run's: the connection answered all of its calls
                // with "no reply" right after telling it went, and those find the task
                // ready, not executing.
                e.timer.reset();
                e.t.state = task_state::ready;
                e.t.attempt -= 1;
                e.provider.clear();
                back.push_back(e.t);
            }
    auto n = back.size();
    enqueue(std::move(back));
    return n;
}

} // namespace gleitzeit::hub
