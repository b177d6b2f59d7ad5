// What a provider tells the pipeline besides a call's result: the progress of a call that
// runs (an LLM's tokens, an MCP tool's progress), and that its protocols changed.

#include "hub/pipeline_state.hpp"
#include "hub/routing.hpp"
#include "hub/task_ids.hpp"

namespace gleitzeit::hub {

namespace json = boost::json;

void pipeline::progress(const std::string& provider, json::object payload) {
    state_->on_strand([provider, payload = std::move(payload)](state& s) mutable {
        const auto* id = payload.if_contains("task_id");
        if (!id || !id->is_string())
            return;
        // The provider knows the task by its qualified id, <workflow id>/<task id>; a
        // workflow id may itself hold a '/', so each cut is tried.
        const std::string qualified_id(id->get_string());
        for (auto cut = qualified_id.find('/'); cut != std::string::npos;
             cut = qualified_id.find('/', cut + 1)) {
            const auto wf_id = qualified_id.substr(0, cut);
            auto* e = s.book.find_task(wf_id, qualified_id.substr(cut + 1));
            // Only the attempt running at this provider speaks for the task: a late word of
            // an attempt that timed out or was cancelled must not reach the room.
            if (!e || e->t.state != task_state::executing || e->provider != provider)
                continue;
            payload["task_id"] = e->t.id;
            payload["workflow_id"] = wf_id;
            stamp(payload, s.book.find(wf_id)->correlation_id, provider);
            // Not saved and not waiting for a save: progress is news of the moment, and a
            // token stream would otherwise cost a database write per token.
            s.emit({state::room(wf_id), "tasks"}, "task_progress", std::move(payload));
            return;
        }
    });
}

void pipeline::providers_changed() {
    state_->on_strand([](state& s) { s.refresh_providers(nullptr); });
}

} // namespace gleitzeit::hub
