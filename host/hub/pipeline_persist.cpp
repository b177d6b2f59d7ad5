// The trip to the persistence slot. Every change joins the save_batcher's open batch; one
// batch at a time is written, on the persistence slot's strand (the blocking pool), and
// what waited for it runs afterwards on the pipeline's strand. So a change is durable before
// its event goes out, and under load one transaction carries many changes.

#include "hub/pipeline_state.hpp"
#include "hub/reply.hpp"
#include "log/log.hpp"

namespace gleitzeit::hub {

namespace json = boost::json;

void pipeline::state::save(workflow w) {
    saves.save(std::move(w));
    flush_saves();
}

void pipeline::state::save(task_entry& e) {
    saves.save(e);
    flush_saves();
}

std::size_t pipeline::state::save(const std::string& workflow_id, task_result r) {
    const auto at = saves.save(workflow_id, std::move(r));
    flush_saves();
    return at;
}

void pipeline::state::after_saved(saved_fn fn) {
    // `this` outlives the trip: the trip holds the state until its continuations have run.
    saves.after_saved([this, fn = std::move(fn)] { fn(*this); });
    flush_saves();
}

void pipeline::state::reply_durable(json::object out, std::function<void(json::object)> reply) {
    if (saves.idle())
        return reply(std::move(out));
    if (save_failures > 0)
        return reply(failure(error_code::unavailable,
                             "the hub cannot save its state (" + save_error +
                                 "); what it holds now may not survive a crash: ask again later"));
    after_saved([out = std::move(out), reply = std::move(reply)](state&) mutable {
        reply(std::move(out));
    });
}

void pipeline::state::flush_saves() {
    if (!saves.claim())
        return; // nothing waits, or the batch being written calls again when it is done
    // Gathered in a job of its own, so that what this strand job still adds joins the batch.
    on_strand([](state& s) { s.write_trip(std::make_shared<save_batcher::trip>(s.saves.take())); });
}

void pipeline::state::write_trip(std::shared_ptr<save_batcher::trip> trip) {
    slot.with<persistence>([self = shared_from_this(), trip](persistence* store) {
        std::string error;
        if (store) {
            try {
                store->save(trip->batch);
            } catch (const std::exception& e) {
                error = e.what();
            }
        }
        self->on_strand([trip, error, missing = !store](state& s) {
            if (missing && !std::exchange(s.persistence_missing_told, true))
                log::warn("the persistence slot is empty: workflows are kept in memory "
                          "only and are lost on a restart");
            if (!error.empty())
                return s.save_failed(trip, error);
            if (s.save_failures > 0)
                log::info("the persistence slot saves again, after " +
                          std::to_string(s.save_failures) + " failed attempts");
            s.save_failures = 0;
            s.saves.arrived();
            s.saves.run_then(*trip);
            s.flush_saves();
        });
    });
}

// Nothing of a batch that failed is told: its events and replies wait, and the batch is
// written again, before anything saved after it, until it is durable (docs/operations.md,
// "When the state cannot be saved"). Telling it anyway would report changes that a crash
// then undoes.
void pipeline::state::save_failed(std::shared_ptr<save_batcher::trip> trip,
                                  const std::string& error) {
    ++save_failures;
    save_error = error;
    // Once, then at most every 10 s while it lasts: a full disk fails every attempt.
    if (save_failures == 1 || time.now_ms() - save_error_logged_ms >= 10'000) {
        save_error_logged_ms = time.now_ms();
        log::error("the persistence slot could not save (" + error + "), " +
                   std::to_string(save_failures) +
                   " times in a row: nothing is told until it saves; new workflows are "
                   "refused meanwhile; trying again");
    }
    const auto delay = std::chrono::milliseconds(
        std::min<std::int64_t>(2000, 50LL << std::min<std::size_t>(save_failures, 6)));
    save_retry = arm(delay, [trip](state& s) { s.write_trip(trip); });
}

} // namespace gleitzeit::hub
