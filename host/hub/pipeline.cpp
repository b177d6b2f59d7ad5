// The pipeline's requests, besides submit (pipeline_submit.cpp): status, cancel, and
// providers that come and go.

#include "hub/pipeline_state.hpp"
#include "hub/reply.hpp"
#include "hub/workflow_status.hpp"

#include <gleitzeit/registry.hpp>

namespace gleitzeit::hub {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string text_field(const json::value& v, std::string_view key) {
    const auto* o = v.if_object();
    const auto* f = o ? o->if_contains(key) : nullptr;
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
}

} // namespace

pipeline::pipeline(asio::io_context& ioc, slots& slots, clock& clock, emit_fn emit,
                   std::size_t keep_finished, std::size_t max_result,
                   std::size_t keep_finished_tasks)
    : state_(
          std::make_shared<state>(ioc, slots, clock, std::move(emit), keep_finished, max_result,
                                   keep_finished_tasks)) {}

pipeline::~pipeline() = default;

void pipeline::status(const json::value& payload, reply_fn reply) {
    auto id = text_field(payload, "workflow_id");
    const auto* o = payload.if_object();
    const bool all = !o || !o->contains("workflow_id");
    // {workflow_id, task_id}: one task, with its result even when the workflow's results
    // together are too large for one reply (hub/workflow_status.hpp).
    const auto* task_field = o ? o->if_contains("task_id") : nullptr;
    if (task_field && !task_field->is_string())
        return reply(failure(error_code::invalid_argument, "task_id must be a string"));
    std::optional<std::string> task_id;
    if (task_field)
        task_id = std::string(task_field->get_string());
    state_->on_strand([id, all, task_id, reply = std::move(reply)](state& s) {
        // From the book, told once durable (reply_durable); the archive is durable as it is.
        if (all) // every workflow this hub holds, without their tasks
            return s.reply_durable({{"ok", true}, {"workflows", s.book.list()}}, std::move(reply));
        if (!task_id) {
            if (auto status = s.book.status(id, s.max_result))
                return s.reply_durable(std::move(*status), std::move(reply));
        } else if (s.book.find(id)) {
            const auto* e = s.book.find_task(id, *task_id);
            if (!e)
                return reply(failure(error_code::not_found,
                                     "workflow '" + id + "' has no task '" + *task_id + "'"));
            return s.reply_durable(task_reply(id, *task_id, task_status(e->t, e->result, e->error)),
                                   std::move(reply));
        }
        s.status_from_archive(id, task_id, std::move(reply));
    });
}

void pipeline::cancel(const json::value& payload, reply_fn reply) {
    auto id = text_field(payload, "workflow_id");
    state_->on_strand([id, reply = std::move(reply)](state& s) {
        auto* wf = s.book.find(id);
        if (!wf)
            return reply(failure(error_code::not_found, "no workflow '" + id + "'"));
        if (wf->w.state != workflow_state::running)
            return reply(
                failure(error_code::invalid_argument,
                        "workflow '" + id + "' is " + std::string(to_string(wf->w.state))));
        s.end_workflow(*wf, workflow_state::cancelled, "cancelled by request");
        // Acknowledged once durable: a crash right after the ack must not bring it back.
        s.after_saved([reply, id](state&) { reply({{"ok", true}, {"workflow_id", id}}); });
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
                s.providers.add_remote(name, ids, max_concurrency, link);
                s.dispatch();
                done();
            });
    });
}

void pipeline::recover(std::function<void(const std::string&)> done) {
    // The plugin providers first: without them the tasks taken up would wait for a provider,
    // and nothing else would start a dispatch round until the next submission.
    state_->refresh_providers(
        [done = std::move(done)](state& s) mutable { s.recover(std::move(done)); });
}

void pipeline::remove_provider(std::string name, std::function<void(std::size_t)> done) {
    state_->on_strand([name = std::move(name), done = std::move(done)](state& s) {
        s.providers.remove(name);
        auto requeued = s.requeue_from(name);
        s.slot.with<registry>([name](registry* r) {
            if (r)
                r->unregister_provider(name);
        });
        done(requeued);
    });
}

void pipeline::providers(std::function<void(json::array)> done) {
    state_->refresh_providers([done = std::move(done)](state& s) { done(s.providers.describe()); });
}

} // namespace gleitzeit::hub
