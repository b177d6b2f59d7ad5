// The trip to the persistence slot. Every change joins the save_batcher's open batch; one
// batch at a time is written, on the persistence slot's strand (the blocking pool), and
// what waited for it runs afterwards on the pipeline's strand. So a change is durable before
// its event goes out, and under load one transaction carries many changes.

#include "hub/pipeline_state.hpp"
#include "log/log.hpp"

namespace gleitzeit::hub {

void pipeline::state::save(workflow w) {
    saves.save(std::move(w));
    flush_saves();
}

void pipeline::state::save(task_entry& e) {
    saves.save(e);
    flush_saves();
}

void pipeline::state::save(const std::string& workflow_id, task_result r) {
    saves.save(workflow_id, std::move(r));
    flush_saves();
}

void pipeline::state::after_saved(saved_fn fn) {
    // `this` outlives the trip: the trip holds the state until its continuations have run.
    saves.after_saved([this, fn = std::move(fn)](const std::string& error) { fn(*this, error); });
    flush_saves();
}

void pipeline::state::flush_saves() {
    if (!saves.claim())
        return; // nothing waits, or the batch being written calls again when it is done
    // Gathered in a job of its own, so that what this strand job still adds joins the batch.
    on_strand([](state& s) {
        auto trip = std::make_shared<save_batcher::trip>(s.saves.take());
        s.slot.with<persistence>([self = s.shared_from_this(), trip](persistence* store) {
            std::string error;
            if (store) {
                try {
                    store->save(trip->batch);
                } catch (const std::exception& e) {
                    error = std::string("the persistence slot could not save: ") + e.what();
                }
            }
            self->on_strand([trip, error, missing = !store](state& s) {
                if (missing && !std::exchange(s.persistence_missing_told, true))
                    log::warn("the persistence slot is empty: workflows are kept in memory "
                              "only and are lost on a restart");
                if (!error.empty())
                    log::error(error);
                s.saves.arrived();
                for (auto& fn : trip->then)
                    fn(error);
                s.flush_saves();
            });
        });
    });
}

} // namespace gleitzeit::hub
