// The stop (docs/operations.md, "Stopping"): on SIGTERM the hub takes no new work and lets the
// calls in flight end, so that a planned restart does not run them twice. What waits in the
// queue stays there: it is durable as pending tasks, and recovery queues it again.

#include "hub/pipeline_state.hpp"

namespace gleitzeit::hub {

namespace {
// How often the drain looks whether the last call ended; a stop is not a hot path.
constexpr std::chrono::milliseconds drain_tick{10};
} // namespace

void pipeline::drain(std::chrono::milliseconds timeout, std::function<void(std::size_t)> done) {
    state_->on_strand([timeout, done = std::move(done)](state& s) mutable {
        if (s.draining) // a second stop: the first one's done still comes
            return;
        s.draining.emplace();
        s.draining->until_ms = s.time.now_ms() + timeout.count();
        s.draining->done = std::move(done);
        s.check_drained();
    });
}

void pipeline::state::check_drained() {
    if (!draining || !draining->done)
        return;
    const auto left = providers.in_flight();
    if (left > 0 && time.now_ms() < draining->until_ms) {
        draining->tick = arm(drain_tick, [](state& s) { s.check_drained(); });
        return;
    }
    // The results that came in are saved before the hub says it has stopped; saves that
    // keep failing (a full disk) hold the stop up to the timeout only: what they hold was
    // never told, and recovery runs it again.
    auto once = std::make_shared<std::function<void(std::size_t)>>(std::exchange(draining->done, {}));
    auto finish = [once](std::size_t cut) {
        if (auto done = std::exchange(*once, {}))
            done(cut);
    };
    after_saved([finish, left](state&) { finish(left); });
    const auto rest = std::max<std::int64_t>(0, draining->until_ms - time.now_ms());
    draining->tick = arm(std::chrono::milliseconds(rest), [finish, left](state&) { finish(left); });
}

} // namespace gleitzeit::hub
