#include "hub/pipeline.hpp"

#include "hub/backoff.hpp"
#include "hub/reply.hpp"
#include "plugins/plugin_host.hpp"
#include "sio/random_id.hpp"

#include <gleitzeit/queue.hpp>
#include <gleitzeit/registry.hpp>
#include <gleitzeit/resolver.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <iostream>
#include <map>
#include <mutex>
#include <set>

namespace gleitzeit::hub {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

bool terminal(task_state s) {
    return s == task_state::completed || s == task_state::failed || s == task_state::skipped ||
           s == task_state::cancelled;
}

bool has_reference(const json::value& v) {
    if (const auto* str = v.if_string())
        return std::string_view(*str).find("${") != std::string_view::npos;
    if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            if (has_reference(e))
                return true;
    } else if (const auto* o = v.if_object()) {
        for (const auto& [k, e] : *o)
            if (has_reference(e))
                return true;
    }
    return false;
}

bool has_reference(const json::object& o) {
    for (const auto& [k, e] : o)
        if (has_reference(e))
            return true;
    return false;
}

std::string text_field(const json::value& v, std::string_view key) {
    const auto* o = v.if_object();
    const auto* f = o ? o->if_contains(key) : nullptr;
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
}

} // namespace

struct pipeline::state : std::enable_shared_from_this<state> {
    struct task_entry {
        task t;
        std::optional<json::value> result;
        std::optional<task_error> error;
        std::string provider;
        std::unique_ptr<asio::steady_timer> timer; // timeout while executing, backoff while waiting
    };
    struct workflow_entry {
        workflow w; // tasks as submitted; live task state is in `tasks`
        std::map<std::string, task_entry> tasks;
    };
    struct provider_entry {
        std::vector<std::string> protocols;
        std::size_t max_concurrency = 0;
        std::size_t in_flight = 0;
    };

    state(asio::io_context& ioc, plugins::plugin_host& p, emit_fn e)
        : strand(asio::make_strand(ioc)), plugins(p), emit(std::move(e)) {}

    template <class Fn> void on_strand(Fn fn) {
        asio::post(strand, [self = shared_from_this(), fn = std::move(fn)]() mutable { fn(*self); });
    }

    static std::string room(const std::string& workflow_id) { return "workflow:" + workflow_id; }

    void tell(const workflow_entry& wf, std::string_view event, json::object payload) {
        payload["workflow_id"] = wf.w.id;
        emit(room(wf.w.id), event, payload);
        emit("workflows", event, std::move(payload));
    }

    // ---- submission -------------------------------------------------------------------
    void analyzed(workflow w, const workflow_analysis& a) {
        auto& wf = workflows[w.id];
        wf.w = std::move(w);
        wf.w.state = workflow_state::running;
        for (const auto& t : wf.w.tasks)
            wf.tasks[t.id].t = t;
        tell(wf, "workflow_started",
             {{"name", wf.w.name}, {"tasks", wf.w.tasks.size()}});
        std::vector<task> ready;
        for (const auto& id : a.ready_tasks) {
            auto& e = wf.tasks.at(id);
            e.t.state = task_state::ready;
            ready.push_back(e.t);
        }
        enqueue(std::move(ready));
    }

    void enqueue(std::vector<task> tasks) {
        if (tasks.empty())
            return dispatch();
        plugins.with_slot(slot_kind::queue, [self = shared_from_this(),
                                             tasks = std::move(tasks)](plugin* p) mutable {
            auto* q = dynamic_cast<queue*>(p);
            std::vector<std::pair<task, std::string>> refused;
            for (auto& t : tasks) {
                try {
                    if (!q)
                        throw std::runtime_error("the queue slot is empty");
                    q->enqueue(t);
                } catch (const std::exception& e) {
                    refused.emplace_back(std::move(t), e.what());
                }
            }
            self->on_strand([refused = std::move(refused)](state& s) mutable {
                for (auto& [t, why] : refused)
                    s.finish_task(t.workflow_id, std::string(t.id),
                                  task_result{t.id, std::nullopt,
                                              task_error{error_code::internal, why, false}, "", 0});
                s.dispatch();
            });
        });
    }

    // ---- dispatch by credits ----------------------------------------------------------
    /// Reads what the provider plugins serve, registers it with the registry slot (if one
    /// is loaded), and then runs `then` on the strand.
    void refresh_providers(std::function<void(state&)> then) {
        struct gathered {
            std::mutex mutex;
            std::size_t left = 0;
            std::map<std::string, std::pair<std::vector<protocol_spec>, std::size_t>> providers;
        };
        auto names = plugins.providers();
        auto g = std::make_shared<gathered>();
        g->left = names.size();
        auto register_all = [self = shared_from_this(), g, then = std::move(then)] {
            self->plugins.with_slot(slot_kind::registry, [self, g, then](plugin* p) {
                auto refused = std::make_shared<std::vector<std::string>>();
                auto registered = std::make_shared<std::set<std::string>>();
                if (auto* r = dynamic_cast<registry*>(p))
                    for (const auto& [name, entry] : g->providers) {
                        provider_info info{name, {}, entry.second};
                        for (const auto& spec : entry.first) {
                            info.protocols.push_back(spec.id);
                            try {
                                r->register_protocol(spec);
                                registered->insert(spec.id);
                            } catch (const std::exception& e) {
                                // Its calls go unchecked; the provider still serves them.
                                refused->push_back("the registry refused " + spec.id + " of " +
                                                   name + ": " + e.what());
                            }
                        }
                        r->register_provider(info);
                    }
                self->on_strand([g, then, refused, registered](state& s) {
                    s.checked_protocols = *registered;
                    for (const auto& why : *refused)
                        if (s.reported.insert(why).second)
                            std::cerr << "gleitzeitd: " << why << std::endl;
                    for (const auto& [name, entry] : g->providers) {
                        auto& e = s.providers[name];
                        e.protocols.clear();
                        for (const auto& spec : entry.first)
                            e.protocols.push_back(spec.id);
                        e.max_concurrency = entry.second;
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
            plugins.with_provider(name, [g, name, register_all](provider* p) {
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

    /// True when the registry knows a protocol of the same name as `protocol` ("echo" of
    /// "echo/v9").
    bool family_known(const std::string& protocol) const {
        auto name = protocol.substr(0, protocol.find('/'));
        for (const auto& id : checked_protocols)
            if (id.substr(0, id.find('/')) == name)
                return true;
        return false;
    }

    void dispatch() {
        if (dispatching) {
            dispatch_again = true;
            return;
        }
        for (auto& [name, p] : providers) {
            if (p.in_flight >= p.max_concurrency || p.protocols.empty())
                continue;
            auto want = p.max_concurrency - p.in_flight;
            p.in_flight += want; // reserved until the queue answers
            dispatching = true;
            dispatch_again = false;
            plugins.with_slot(slot_kind::queue, [self = shared_from_this(), name = name,
                                                 protocols = p.protocols, want](plugin* pl) {
                std::vector<task> got;
                if (auto* q = dynamic_cast<queue*>(pl)) {
                    while (got.size() < want) {
                        auto t = q->dequeue(protocols);
                        if (!t)
                            break;
                        got.push_back(std::move(*t));
                    }
                }
                self->on_strand([name, want, got = std::move(got)](state& s) mutable {
                    s.dispatching = false;
                    auto& p = s.providers[name];
                    p.in_flight -= want - got.size();
                    for (auto& t : got)
                        s.start(name, std::move(t));
                    // Another round while the last one found work or news came meanwhile.
                    if (!got.empty() || s.dispatch_again)
                        s.dispatch();
                });
            });
            return;
        }
    }

    void start(const std::string& provider_name, task t) {
        auto* e = find_task(t.workflow_id, t.id);
        if (!e || e->t.state != task_state::ready) { // cancelled while queued
            --providers[provider_name].in_flight;
            return;
        }
        e->t.state = task_state::executing;
        e->t.attempt += 1;
        e->provider = provider_name;
        auto attempt = e->t.attempt;
        tell(workflows.at(t.workflow_id), "task_started",
             {{"task_id", t.id}, {"provider", provider_name}, {"attempt", attempt}});
        // The hub enforces the timeout: a provider that never answers still frees the task.
        e->timer = std::make_unique<asio::steady_timer>(strand, e->t.timeout);
        e->timer->async_wait([self = shared_from_this(), wf = t.workflow_id, id = t.id, attempt,
                              provider_name](boost::system::error_code ec) {
            if (ec)
                return;
            self->plugins.with_provider(provider_name, [id](provider* p) {
                if (p)
                    p->cancel(id);
            });
            self->result(provider_name, wf, attempt,
                         task_result{id, std::nullopt,
                                     task_error{error_code::timeout, "no result within the task's timeout", true},
                                     provider_name, 0});
        });
        method_call call{t.id, t.protocol, t.method, t.params, t.timeout};
        plugins.execute(provider_name, std::move(call),
                        [self = shared_from_this(), provider_name, wf = t.workflow_id,
                         attempt](task_result r) {
                            self->on_strand([provider_name, wf, attempt, r = std::move(r)](state& s) mutable {
                                s.result(provider_name, wf, attempt, std::move(r));
                            });
                        });
    }

    // ---- results ----------------------------------------------------------------------
    void result(const std::string& provider_name, const std::string& wf_id, unsigned attempt,
                task_result r) {
        auto* e = find_task(wf_id, r.task_id);
        // A late answer (after a timeout or a cancel) of an attempt that is over.
        if (!e || e->t.state != task_state::executing || e->t.attempt != attempt)
            return;
        if (auto& p = providers[provider_name]; p.in_flight > 0)
            --p.in_flight;
        e->timer.reset();
        if (!r.ok() && r.error && r.error->retryable && e->t.attempt < e->t.retry.max_attempts)
            return retry(*e, *r.error);
        auto id = r.task_id; // not a reference into r, which moves
        finish_task(wf_id, id, std::move(r));
        dispatch();
    }

    void retry(task_entry& e, const task_error& why) {
        e.t.state = task_state::retry_pending;
        auto delay = backoff_delay(e.t.retry, e.t.attempt);
        e.t.due_ms = now_ms() + delay.count();
        tell(workflows.at(e.t.workflow_id), "task_retrying",
             {{"task_id", e.t.id}, {"attempt", e.t.attempt}, {"delay_ms", delay.count()},
              {"error", json::value_from(why)}});
        e.timer = std::make_unique<asio::steady_timer>(strand, delay);
        e.timer->async_wait([self = shared_from_this(), wf = e.t.workflow_id,
                             id = e.t.id](boost::system::error_code ec) {
            if (ec)
                return;
            auto* t = self->find_task(wf, id);
            if (!t || t->t.state != task_state::retry_pending)
                return;
            t->t.state = task_state::ready;
            self->enqueue({t->t});
        });
        dispatch();
    }

    void finish_task(const std::string& wf_id, const std::string& id, task_result r) {
        auto* e = find_task(wf_id, id);
        if (!e || terminal(e->t.state))
            return;
        auto& wf = workflows.at(wf_id);
        if (r.ok()) {
            e->t.state = task_state::completed;
            e->result = r.result;
            tell(wf, "task_completed", {{"task_id", id}, {"result", *r.result}});
        } else {
            e->t.state = task_state::failed;
            e->error = r.error;
            tell(wf, "task_failed", {{"task_id", id}, {"error", json::value_from(*r.error)}});
        }
        plugins.with_slot(slot_kind::resolver, [self = shared_from_this(), wf_id,
                                                r = std::move(r)](plugin* p) {
            task_release rel;
            std::string why;
            try {
                auto* res = dynamic_cast<resolver*>(p);
                if (!res)
                    throw std::runtime_error("the resolver slot is empty");
                rel = res->complete(wf_id, r);
            } catch (const std::exception& e) {
                why = e.what();
            }
            self->on_strand([wf_id, rel = std::move(rel), why](state& s) mutable {
                s.released(wf_id, std::move(rel), why);
            });
        });
    }

    void released(const std::string& wf_id, task_release rel, const std::string& why) {
        auto it = workflows.find(wf_id);
        if (it == workflows.end())
            return;
        auto& wf = it->second;
        if (!why.empty())
            return end_workflow(wf, workflow_state::failed, "the resolver failed: " + why);
        for (const auto& id : rel.skipped)
            if (auto* e = find_task(wf_id, id); e && !terminal(e->t.state)) {
                e->t.state = task_state::skipped;
                tell(wf, "task_skipped", {{"task_id", id}});
            }
        bool failed = false;
        for (const auto& [id, e] : wf.tasks)
            failed = failed || e.t.state == task_state::failed;
        if (failed && wf.w.on_failure == failure_policy::fail_fast)
            return end_workflow(wf, workflow_state::failed, "a task failed (fail_fast)");
        std::vector<task> ready;
        for (auto& t : rel.ready_tasks)
            if (auto* e = find_task(wf_id, t.id); e && e->t.state == task_state::pending) {
                e->t.params = std::move(t.params); // with ${...} references substituted
                e->t.state = task_state::ready;
                ready.push_back(e->t);
            }
        enqueue(std::move(ready));
        bool done = true;
        for (const auto& [id, e] : wf.tasks)
            done = done && terminal(e.t.state);
        if (done)
            end_workflow(wf, failed ? workflow_state::failed : workflow_state::completed, "");
    }

    void end_workflow(workflow_entry& wf, workflow_state how, const std::string& why) {
        if (wf.w.state != workflow_state::running)
            return;
        wf.w.state = how;
        // What has not run will not run: take it out of the queue and stop it.
        for (auto& [id, e] : wf.tasks)
            if (!terminal(e.t.state))
                cancel_task(e);
        json::object results;
        for (const auto& [id, e] : wf.tasks)
            if (e.result)
                results[id] = *e.result;
        json::object payload{{"state", to_string(how)}, {"results", std::move(results)}};
        if (!why.empty())
            payload["reason"] = why;
        auto event = how == workflow_state::completed ? "workflow_completed"
                     : how == workflow_state::cancelled ? "workflow_cancelled"
                                                        : "workflow_failed";
        tell(wf, event, std::move(payload));
        plugins.with_slot(slot_kind::resolver, [id = wf.w.id](plugin* p) {
            if (auto* r = dynamic_cast<resolver*>(p))
                r->forget(id);
        });
    }

    void cancel_task(task_entry& e) {
        auto was = e.t.state;
        e.t.state = task_state::cancelled;
        e.timer.reset();
        if (was == task_state::ready)
            plugins.with_slot(slot_kind::queue, [id = e.t.id](plugin* p) {
                if (auto* q = dynamic_cast<queue*>(p))
                    q->remove(id);
            });
        if (was == task_state::executing) {
            if (auto& p = providers[e.provider]; p.in_flight > 0)
                --p.in_flight;
            plugins.with_provider(e.provider, [id = e.t.id](provider* p) {
                if (p)
                    p->cancel(id);
            });
        }
    }

    task_entry* find_task(const std::string& wf, const std::string& id) {
        auto w = workflows.find(wf);
        if (w == workflows.end())
            return nullptr;
        auto t = w->second.tasks.find(id);
        return t == w->second.tasks.end() ? nullptr : &t->second;
    }

    static std::int64_t now_ms() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    asio::strand<asio::io_context::executor_type> strand;
    plugins::plugin_host& plugins;
    emit_fn emit;
    std::map<std::string, workflow_entry> workflows;
    std::map<std::string, provider_entry> providers;
    std::set<std::string> checked_protocols; // what the registry took from the providers
    std::set<std::string> reported;          // refusals already logged
    bool dispatching = false;
    bool dispatch_again = false;
};

pipeline::pipeline(asio::io_context& ioc, plugins::plugin_host& plugins, emit_fn emit)
    : state_(std::make_shared<state>(ioc, plugins, std::move(emit))) {}

pipeline::~pipeline() = default;

void pipeline::submit(const json::value& payload, std::function<void(const std::string&)> join,
                      reply_fn reply) {
    const auto* o = payload.if_object();
    const auto* w = o ? o->if_contains("workflow") : nullptr;
    if (!w)
        return reply(failure(error_code::invalid_argument, "submit_workflow needs {workflow}"));
    workflow wf;
    try {
        wf = json::value_to<workflow>(*w);
    } catch (const std::exception& e) {
        return reply(failure(error_code::invalid_workflow, e.what()));
    }
    if (wf.id.empty())
        wf.id = "wf-" + sio::random_id();
    for (auto& t : wf.tasks) {
        t.workflow_id = wf.id;
        t.state = task_state::pending;
        t.attempt = 0;
    }
    auto analyze = [join = std::move(join), reply](state& st, workflow wf) mutable {
        st.plugins.with_slot(slot_kind::resolver, [self = st.shared_from_this(), wf = std::move(wf),
                                                   join = std::move(join),
                                                   reply = std::move(reply)](plugin* p) mutable {
            auto* r = dynamic_cast<resolver*>(p);
            if (!r)
                return reply(failure(error_code::not_found, "the resolver slot is empty"));
            workflow_analysis a;
            try {
                a = r->analyze(wf);
            } catch (const gleitzeit::error& e) {
                return reply(failure(e.code(), e.what()));
            } catch (const std::exception& e) {
                return reply(failure(error_code::invalid_workflow, e.what()));
            }
            self->on_strand([wf = std::move(wf), a = std::move(a), join = std::move(join),
                             reply = std::move(reply)](state& s) mutable {
                auto id = wf.id;
                join(state::room(id));
                reply({{"ok", true}, {"workflow_id", id}});
                s.analyzed(std::move(wf), a);
            });
        });
    };
    // Providers first, so that the registry knows their protocols when the tasks are checked.
    state_->refresh_providers([wf = std::move(wf), reply = std::move(reply),
                               analyze = std::move(analyze)](state& st) mutable {
        if (st.workflows.count(wf.id))
            return reply(failure(error_code::invalid_workflow,
                                 "a workflow with id '" + wf.id + "' exists already"));
        // Checked: tasks of a protocol whose family is known, except those whose params wait
        // for a ${...} result (their types are known only when they are released).
        std::vector<const task*> checked;
        for (const auto& t : wf.tasks)
            if (st.family_known(t.protocol) &&
                !(st.checked_protocols.count(t.protocol) && has_reference(t.params)))
                checked.push_back(&t);
        st.plugins.with_slot(slot_kind::registry, [self = st.shared_from_this(), wf = std::move(wf),
                                                   checked, reply = std::move(reply),
                                                   analyze = std::move(analyze)](plugin* p) mutable {
            if (auto* r = dynamic_cast<registry*>(p))
                for (const auto* t : checked) {
                    try {
                        r->validate_call(t->protocol, t->method, t->params);
                    } catch (const gleitzeit::error& e) {
                        return reply(failure(error_code::invalid_workflow,
                                             "task '" + t->id + "': " + e.what()));
                    }
                }
            self->on_strand([wf = std::move(wf), analyze = std::move(analyze)](state& s) mutable {
                analyze(s, std::move(wf));
            });
        });
    });
}

void pipeline::status(const json::value& payload, reply_fn reply) {
    auto id = text_field(payload, "workflow_id");
    state_->on_strand([id, reply = std::move(reply)](state& s) {
        auto it = s.workflows.find(id);
        if (it == s.workflows.end())
            return reply(failure(error_code::not_found, "no workflow '" + id + "'"));
        json::object tasks;
        for (const auto& [tid, e] : it->second.tasks) {
            json::object t{{"state", to_string(e.t.state)}, {"attempt", e.t.attempt}};
            if (e.result)
                t["result"] = *e.result;
            if (e.error)
                t["error"] = json::value_from(*e.error);
            tasks[tid] = std::move(t);
        }
        reply({{"ok", true},
               {"workflow",
                json::object{{"id", id},
                             {"name", it->second.w.name},
                             {"state", to_string(it->second.w.state)},
                             {"tasks", std::move(tasks)}}}});
    });
}

void pipeline::cancel(const json::value& payload, reply_fn reply) {
    auto id = text_field(payload, "workflow_id");
    state_->on_strand([id, reply = std::move(reply)](state& s) {
        auto it = s.workflows.find(id);
        if (it == s.workflows.end())
            return reply(failure(error_code::not_found, "no workflow '" + id + "'"));
        if (it->second.w.state != workflow_state::running)
            return reply(failure(error_code::invalid_argument,
                                 "workflow '" + id + "' is " +
                                     std::string(to_string(it->second.w.state))));
        s.end_workflow(it->second, workflow_state::cancelled, "cancelled by request");
        reply({{"ok", true}, {"workflow_id", id}});
    });
}

} // namespace gleitzeit::hub
