// A resolver that fills a slot while workflows run (a remote resolver that replaces one that
// went; a plugin loaded into an empty slot) knows none of them, and refuses a result of one as
// of an unknown workflow (not_found). Then the hub tells it that workflow as submitted and
// every final result it holds, as recovery does after a restart; tasks that this releases and
// that the hub still holds as pending are queued (their release may have gone with the
// resolver that left).

#include "hub/pipeline_state.hpp"
#include "hub/resolver_replay.hpp"
#include "log/log.hpp"

#include <boost/json/value_from.hpp>

#include <map>
#include <set>

namespace gleitzeit::hub {

namespace {

/// `wf` as recovery reads it from a store: its tasks, each after its dependencies, and the
/// final results.
saved_workflow held(const workflow_entry& wf) {
    saved_workflow s;
    s.w = wf.w;
    std::set<std::string> placed;
    while (placed.size() < wf.tasks.size()) {
        const auto before = placed.size();
        for (const auto& [id, e] : wf.tasks) {
            if (placed.count(id))
                continue;
            bool after_deps = true;
            for (const auto& d : e.t.dependencies)
                after_deps = after_deps && (placed.count(d) || !wf.tasks.count(d));
            if (!after_deps)
                continue;
            s.w.tasks.push_back(e.t);
            placed.insert(id);
            if (e.t.state == task_state::completed && e.result)
                s.results[id] = task_result{id, e.result, std::nullopt, e.provider, 0};
            else if (e.t.state == task_state::failed)
                s.results[id] = task_result{id, std::nullopt, e.error.value_or(task_error{}), "", 0};
        }
        if (placed.size() == before)
            break; // a cycle cannot be held: the resolver refused it at submission
    }
    return s;
}

} // namespace

void pipeline::state::reacquaint(const std::string& wf_id) {
    auto* wf = book.find(wf_id);
    if (!wf || wf->w.state != workflow_state::running)
        return; // over: the resolver forgot it on purpose
    auto s = std::make_shared<saved_workflow>(held(*wf));
    slot.with<resolver>([self = shared_from_this(), s](resolver* r) {
        auto rel = std::make_shared<task_release>();
        std::string why;
        try {
            if (!r)
                throw std::runtime_error("the resolver slot is empty");
            *rel = replay(*r, *s);
        } catch (const std::exception& e) {
            why = e.what();
        }
        self->on_strand([s, rel, why](state& st) {
            auto* wf = st.book.find(s->w.id);
            if (!wf || wf->w.state != workflow_state::running)
                return;
            if (!why.empty())
                return st.end_workflow(*wf, workflow_state::failed, "the resolver failed: " + why);
            log::info("the resolver did not know workflow " + s->w.id +
                      " (it filled the slot after it started): told it again");
            st.apply_release(*wf, std::move(*rel));
        });
    });
}

} // namespace gleitzeit::hub
