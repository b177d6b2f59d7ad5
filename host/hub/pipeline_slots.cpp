// What the pipeline gives a slot that was empty and got an instance: a plugin loaded into it,
// or a remote component that registered for it (a previous component went with everything
// it held).

#include "hub/pipeline_state.hpp"
#include "log/log.hpp"

#include <gleitzeit/queue.hpp>
#include <set>

namespace gleitzeit::hub {

void pipeline::slot_filled(slot_kind kind) {
    if (kind == slot_kind::registry)
        return state_->on_strand([](state& s) { s.refresh_providers(nullptr); });
    // A remote persistence component registers after the start's recovery found the slot
    // empty: what it holds is taken up now, as a restart would have.
    if (kind == slot_kind::persistence)
        return state_->on_strand([](state& s) {
            if (!s.recovered_from_store)
                s.refresh_providers([](state& s) {
                    s.recover([](const std::string& summary) { log::info(summary); });
                });
        });
    if (kind != slot_kind::queue)
        return;
    // Its ready tasks go back once no dispatch round is out (dispatch() calls put_back_ready).
    state_->on_strand([](state& s) {
        s.refill_queue = true;
        s.dispatch();
    });
}

// Every ready task goes back, except those the pipeline is about to send anyway: a second
// copy of those would be refused as a duplicate. A batch already on its way reaches the queue
// first (the slot's strand keeps order), so its tasks are refused here as duplicates, which is
// harmless. No round is out: one that was taking a task out would have found it still ready
// here, and the copy put back would be stale once the task started.
void pipeline::state::put_back_ready() {
    refill_queue = false;
    std::set<std::pair<std::string, std::string>> on_their_way;
    for (const auto& t : enqueues.gathering())
        on_their_way.emplace(t.workflow_id, t.id);
    std::vector<task> back;
    book.each_task([&](workflow_entry&, task_entry& e) {
        if (e.t.state == task_state::ready && !on_their_way.count({e.t.workflow_id, e.t.id}))
            back.push_back(qualified(e.t));
    });
    if (back.empty())
        return dispatch();
    slot.with<queue>([self = shared_from_this(), back = std::move(back)](queue* q) mutable {
        std::size_t queued = 0;
        std::string refused;
        for (auto& t : back) {
            try {
                if (!q)
                    throw std::runtime_error("the queue slot is empty again");
                q->enqueue(std::move(t));
                ++queued;
            } catch (const std::exception& e) {
                refused = e.what(); // queued already, as a rule; the last reason is logged
            }
        }
        log::info("the queue slot was filled: " + std::to_string(queued) + " of " +
                  std::to_string(back.size()) + " ready tasks put back" +
                  (refused.empty() ? std::string() : " (not the others: " + refused + ")"));
        self->on_strand([](state& s) { s.dispatch(); });
    });
}

} // namespace gleitzeit::hub
