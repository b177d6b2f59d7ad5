// The pipeline's requests: submit (validate whole, then analyze and enqueue), status,
// cancel, and providers that come and go.

#include "hub/pipeline_state.hpp"
#include "hub/reply.hpp"
#include "hub/routing.hpp"
#include "sio/protocol/random_id.hpp"

#include <gleitzeit/registry.hpp>
#include <gleitzeit/resolver.hpp>

#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

namespace gleitzeit::hub {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

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

void pipeline::state::analyzed(workflow w, std::string correlation_id, workflow_analysis a,
                               std::function<void(const std::string&)> accepted) {
    const auto id = w.id;
    auto& wf = workflows[id];
    wf.correlation_id = std::move(correlation_id);
    w.state = workflow_state::running;
    for (const auto& t : w.tasks)
        wf.tasks[t.id].t = t;
    wf.w = workflow{w.id, w.name, {}, w.on_failure, w.state}; // its tasks live in wf.tasks
    count(wf);
    save(std::move(w)); // with its tasks, all pending
    after_saved([id, ready_ids = std::make_shared<std::vector<std::string>>(std::move(a.ready_tasks)),
                 accepted = std::move(accepted)](state& s, const std::string& error) {
        auto it = s.workflows.find(id);
        if (!error.empty()) {
            s.workflows.erase(it);
            s.slot.with<resolver>([id](resolver* r) {
                if (r)
                    r->forget(id);
            });
            return accepted(error);
        }
        accepted("");
        auto& wf = it->second;
        s.tell(wf, "workflow_started", {{"name", wf.w.name}, {"tasks", wf.tasks.size()}},
               "workflows");
        std::vector<task> ready;
        for (const auto& tid : *ready_ids) {
            auto& e = wf.tasks.at(tid);
            e.t.state = task_state::ready;
            ready.push_back(e.t);
        }
        s.enqueue(std::move(ready));
    });
}

pipeline::pipeline(asio::io_context& ioc, slots& slots, clock& clock, emit_fn emit,
                   std::size_t keep_finished)
    : state_(std::make_shared<state>(ioc, slots, clock, std::move(emit))) {
    state_->keep_finished = keep_finished;
}

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
    auto correlation = correlation_of(payload);
    if (correlation.empty())
        correlation = wf.id;
    // The workflow travels by pointer: the closures below are std::functions, which copy what
    // they hold, and a copy of a 10,000-task workflow costs milliseconds.
    auto shared = std::make_shared<workflow>(std::move(wf));
    auto analyze = [join = std::move(join), reply, correlation](state& st,
                                                                std::shared_ptr<workflow> wf) mutable {
        st.slot.with<resolver>([self = st.shared_from_this(), wf = std::move(wf),
                                join = std::move(join), correlation,
                                reply = std::move(reply)](resolver* r) mutable {
            if (!r)
                return reply(failure(error_code::not_found, "the resolver slot is empty"));
            workflow_analysis a;
            try {
                a = r->analyze(*wf);
            } catch (const gleitzeit::error& e) {
                return reply(failure(e.code(), e.what()));
            } catch (const std::exception& e) {
                return reply(failure(error_code::invalid_workflow, e.what()));
            }
            self->on_strand([wf = std::move(wf), a = std::make_shared<workflow_analysis>(std::move(a)),
                             join = std::move(join), reply = std::move(reply),
                             correlation](state& s) mutable {
                auto id = wf->id;
                s.analyzed(std::move(*wf), correlation, std::move(*a),
                           [id, join = std::move(join), reply = std::move(reply),
                            correlation](const std::string& error) {
                               if (!error.empty())
                                   return reply(failure(error_code::internal, error));
                               join(state::room(id));
                               reply({{"ok", true},
                                      {"workflow_id", id},
                                      {"_correlation_id", correlation}});
                           });
            });
        });
    };
    // Providers first, so that the registry knows their protocols when the tasks are checked.
    state_->refresh_providers([wf = std::move(shared), reply = std::move(reply),
                               analyze = std::move(analyze)](state& st) mutable {
        if (st.workflows.count(wf->id))
            return reply(failure(error_code::invalid_workflow,
                                 "a workflow with id '" + wf->id + "' exists already"));
        // Checked: tasks of a protocol whose family is known, except those whose params wait
        // for a ${...} result (their types are known only when they are released).
        std::vector<const task*> checked;
        for (const auto& t : wf->tasks)
            if (st.family_known(t.protocol) &&
                !(st.checked_protocols.count(t.protocol) && has_reference(t.params)))
                checked.push_back(&t);
        st.slot.with<registry>([self = st.shared_from_this(), wf = std::move(wf), checked,
                                reply = std::move(reply),
                                analyze = std::move(analyze)](registry* r) mutable {
            if (r)
                for (const auto* t : checked) {
                    try {
                        r->validate_call(t->protocol, t->method, t->params);
                    } catch (const gleitzeit::error& e) {
                        return reply(failure(error_code::invalid_workflow,
                                             "task '" + t->id + "': " + e.what()));
                    }
                }
            self->on_strand([wf = std::move(wf), analyze = std::move(analyze)](state& s) mutable {
                analyze(s, wf);
            });
        });
    });
}

void pipeline::status(const json::value& payload, reply_fn reply) {
    auto id = text_field(payload, "workflow_id");
    const auto* o = payload.if_object();
    const bool all = !o || !o->contains("workflow_id");
    state_->on_strand([id, all, reply = std::move(reply)](state& s) {
        if (all) { // every workflow this hub knows, without their tasks
            json::array list;
            for (const auto& [wid, wf] : s.workflows)
                list.push_back(json::object{{"id", wid},
                                            {"name", wf.w.name},
                                            {"state", to_string(wf.w.state)},
                                            {"tasks", wf.tasks.size()},
                                            {"open", wf.open}});
            return reply({{"ok", true}, {"workflows", std::move(list)}});
        }
        auto it = s.workflows.find(id);
        if (it == s.workflows.end())
            return s.status_from_archive(id, std::move(reply));
        json::object tasks;
        for (const auto& [tid, e] : it->second.tasks)
            tasks[tid] = task_status(e.t, e.result, e.error);
        reply(workflow_status(id, it->second.w.name, it->second.w.state, std::move(tasks)));
    });
}

json::object task_status(const task& t, const std::optional<json::value>& result,
                         const std::optional<task_error>& error) {
    json::object out{{"state", to_string(t.state)}, {"attempt", t.attempt}};
    if (result)
        out["result"] = *result;
    if (error)
        out["error"] = json::value_from(*error);
    return out;
}

json::object workflow_status(const std::string& id, const std::string& name, workflow_state s,
                             json::object tasks) {
    return {{"ok", true},
            {"workflow", json::object{{"id", id},
                                      {"name", name},
                                      {"state", to_string(s)},
                                      {"tasks", std::move(tasks)}}}};
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

void pipeline::add_provider(std::string name, std::vector<protocol_spec> protocols,
                            std::size_t max_concurrency, std::shared_ptr<provider_link> link,
                            std::function<void()> done) {
    state_->on_strand([name = std::move(name), protocols = std::move(protocols), max_concurrency,
                       link = std::move(link), done = std::move(done)](state& s) mutable {
        std::vector<std::string> ids;
        for (const auto& p : protocols)
            ids.push_back(p.id);
        s.register_with_registry(
            name, std::move(protocols), max_concurrency,
            [name, ids = std::move(ids), max_concurrency, link, done](state& s) {
                // Gone while the registry took its protocols: remove_provider has run.
                if (!link->alive())
                    return done();
                auto& e = s.providers[name];
                e.protocols = ids;
                e.max_concurrency = max_concurrency;
                e.link = link;
                e.remote = true;
                s.dispatch();
                done();
            });
    });
}

void pipeline::recover(std::function<void(const std::string&)> done) {
    // The plugin providers first: without them the tasks taken up would wait for a provider,
    // and nothing else would start a dispatch round until the next submission.
    state_->refresh_providers([done = std::move(done)](state& s) mutable { s.recover(std::move(done)); });
}

void pipeline::remove_provider(std::string name, std::function<void(std::size_t)> done) {
    state_->on_strand([name = std::move(name), done = std::move(done)](state& s) {
        s.providers.erase(name);
        s.load_changes.erase(name); // the registry forgets it below
        auto requeued = s.requeue_from(name);
        s.slot.with<registry>([name](registry* r) {
            if (r)
                r->unregister_provider(name);
        });
        done(requeued);
    });
}

void pipeline::providers(std::function<void(json::array)> done) {
    state_->refresh_providers([done = std::move(done)](state& s) {
        json::array out;
        for (const auto& [name, p] : s.providers)
            out.push_back(json::object{{"name", name},
                                       {"local", !p.remote},
                                       {"protocols", json::value_from(p.protocols)},
                                       {"max_concurrency", p.max_concurrency},
                                       {"in_flight", p.in_flight}});
        done(std::move(out));
    });
}

} // namespace gleitzeit::hub
