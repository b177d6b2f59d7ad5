// Saving to the persistence slot. Every change joins the open batch; one batch at a time is
// written, on the persistence slot's strand (the blocking pool), and what waited for it runs
// afterwards on the pipeline's strand. So a change is durable before its event goes out,
// and under load one transaction carries many changes.

#include "hub/pipeline_state.hpp"
#include "log/log.hpp"

namespace gleitzeit::hub {

void pipeline::state::save(workflow w) {
    for (auto& t : w.tasks)
        t = qualified(std::move(t));
    unsaved.workflows.push_back(std::move(w));
    flush();
}

void pipeline::state::save(task_entry& e) {
    if (!std::exchange(e.unsaved, true))
        dirty.push_back(&e);
    flush();
}

void pipeline::state::save(const std::string& workflow_id, task_result r) {
    r.task_id = qualified(workflow_id, r.task_id);
    unsaved.results.push_back(std::move(r));
    flush();
}

void pipeline::state::after_saved(saved_fn fn) {
    unsaved_then.push_back(std::move(fn));
    flush();
}

void pipeline::state::flush() {
    if (saving)
        return; // the batch being written calls again when it is done
    if (unsaved.workflows.empty() && dirty.empty() && unsaved.results.empty() &&
        unsaved.events.empty() && unsaved_then.empty())
        return;
    saving = true;
    // Posted, not run now, so that what this strand job still adds joins the batch.
    on_strand([](state& s) {
        for (auto* e : std::exchange(s.dirty, {})) {
            e->unsaved = false;
            s.unsaved.tasks.push_back(qualified(e->t));
        }
        auto batch = std::make_shared<persistence::batch>(std::exchange(s.unsaved, {}));
        auto then = std::exchange(s.unsaved_then, {});
        s.slot.with<persistence>([self = s.shared_from_this(), batch,
                                  then = std::move(then)](persistence* store) mutable {
            std::string error;
            bool missing = false;
            if (store) {
                try {
                    store->save(*batch);
                } catch (const std::exception& e) {
                    error = std::string("the persistence slot could not save: ") + e.what();
                }
            } else {
                missing = true;
            }
            self->on_strand([then = std::move(then), error, missing](state& s) {
                if (missing && !s.persistence_missing_told) {
                    s.persistence_missing_told = true;
                    log::warn("the persistence slot is empty: workflows are kept in memory "
                              "only and are lost on a restart");
                }
                if (!error.empty())
                    log::error(error);
                s.saving = false;
                for (auto& fn : then)
                    fn(s, error);
                s.flush();
            });
        });
    });
}

} // namespace gleitzeit::hub
