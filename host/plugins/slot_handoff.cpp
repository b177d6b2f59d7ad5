// The swap of a stateful slot whose two generations derive from state_handoff
// (gleitzeit/handoff.hpp). Three steps, so that the slot pauses for what changed during the
// swap rather than for all of its state:
//   begin (strand)  the old generation notes its state and starts a journal;
//   copy (blocking pool)  the snapshot is written and imported into the new generation,
//                   while calls keep reaching the old one;
//   finish (strand) the journal is replayed into the new generation, which lands.
// The swap's pause is the sum of the two strand steps.

#include "plugins/slot.hpp"

#include <gleitzeit/handoff.hpp>

#include <boost/asio/post.hpp>

namespace gleitzeit::plugins {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

double ms_since(clock::time_point t) {
    return std::chrono::duration<double, std::milli>(clock::now() - t).count();
}

state_handoff* handoff_of(generation& g) { return dynamic_cast<state_handoff*>(&g.instance()); }

} // namespace

void slot::begin_handoff_on_strand(std::shared_ptr<generation> next, const done_fn& done) {
    auto* from = handoff_of(*current_);
    if (!from || !handoff_of(*next))
        return switch_on_strand(std::move(next), done);
    const auto started = clock::now();
    std::vector<std::string> accepted;
    if (auto why = negotiate(*current_, *next, accepted); !why.empty())
        return roll_back(next, why, done);
    if (accepted.empty()) // the running generation keeps nothing
        return land(std::move(next), started, 0.0, done);
    state_handoff::snapshot_fn snapshot;
    try {
        snapshot = from->begin_handoff(accepted);
    } catch (...) {
        return roll_back(next, "begin_handoff(" + join(accepted) +
                                   ") of the running generation threw: " +
                                   what_of(std::current_exception()),
                         done);
    }
    const double paused = ms_since(started);
    asio::post(ctx_.blocking, [self = shared_from_this(), next = std::move(next), done, paused,
                               snapshot = std::move(snapshot)]() mutable {
        std::string failed;
        try {
            auto state = snapshot();
            snapshot = nullptr; // its code is the old library's; it must go before that does
            try {
                next->instance().import_state(state);
            } catch (...) {
                failed = "import_state threw: " + what_of(std::current_exception());
            }
        } catch (...) {
            failed = "the snapshot of begin_handoff threw: " + what_of(std::current_exception());
        }
        snapshot = nullptr;
        asio::post(self->strand_, [self, next = std::move(next), done, paused,
                                   failed = std::move(failed)]() mutable {
            self->finish_handoff_on_strand(std::move(next), failed, paused, done);
        });
    });
}

void slot::finish_handoff_on_strand(std::shared_ptr<generation> next, const std::string& failed,
                                    double paused_ms, const done_fn& done) {
    const auto started = clock::now();
    auto* from = handoff_of(*current_);
    if (!failed.empty()) {
        from->abandon_handoff();
        return roll_back(next, failed, done);
    }
    boost::json::object changes;
    try {
        changes = from->finish_handoff();
    } catch (...) {
        from->abandon_handoff();
        return roll_back(next, "finish_handoff of the running generation threw: " +
                                   what_of(std::current_exception()),
                         done);
    }
    try {
        handoff_of(*next)->import_changes(changes);
    } catch (...) {
        return roll_back(next, "import_changes threw: " + what_of(std::current_exception()),
                         done);
    }
    land(std::move(next), started, paused_ms, done);
}

} // namespace gleitzeit::plugins
