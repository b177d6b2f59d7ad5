// The pipeline's waits: a retry after its backoff, a ready task that no provider serves yet,
// and the calls of a provider that went, which go back to the queue. The timeout of a call
// is armed where the call starts (pipeline_dispatch.cpp). Time comes from the clock
// (clock.hpp), so that tests move it by hand.

#include "hub/backoff.hpp"
#include "hub/pipeline_state.hpp"

#include <gleitzeit/queue.hpp>

#include <boost/json/value_from.hpp>

namespace gleitzeit::hub {

// A ready task nobody serves waits for a provider to register, up to its timeout.
void pipeline::state::wait_for_provider(task_entry& e) {
    e.timer = arm(e.t.timeout, [wf = e.t.workflow_id, id = e.t.id](state& s) {
        auto* t = s.book.find_task(wf, id);
        if (!t || t->t.state != task_state::ready || s.providers.served(t->t.protocol))
            return;
        s.slot.with<queue>([key = qualified(wf, id)](queue* q) {
            if (q)
                q->remove(key);
        });
        auto message = "no provider serves " + t->t.protocol + " (waited " +
                       std::to_string(t->t.timeout.count()) + " ms, the task's timeout)";
        s.finish_task(wf, id,
                      task_result{id, std::nullopt,
                                  task_error{error_code::no_provider, message, false}, "", 0});
    });
}

void pipeline::state::retry(task_entry& e, const task_error& why) {
    e.t.state = task_state::retry_pending;
    auto delay = backoff_delay(e.t.retry, e.t.attempt);
    e.t.due_ms = time.now_ms() + delay.count();
    save(e); // with its due time, so that a restart keeps the retry
    tell(*book.find(e.t.workflow_id), "task_retrying",
         {{"task_id", e.t.id},
          {"attempt", e.t.attempt},
          {"delay_ms", delay.count()},
          {"error", boost::json::value_from(why)}},
         "tasks");
    wait_for_retry(e);
    dispatch();
}

void pipeline::state::wait_for_retry(task_entry& e) {
    auto delay = std::chrono::milliseconds(std::max<std::int64_t>(0, e.t.due_ms - time.now_ms()));
    e.timer = arm(delay, [wf = e.t.workflow_id, id = e.t.id](state& s) {
        auto* t = s.book.find_task(wf, id);
        if (!t || t->t.state != task_state::retry_pending)
            return;
        t->t.state = task_state::ready;
        s.enqueue({t->t});
    });
}

void pipeline::state::requeue(task_entry& e) {
    e.timer.reset();
    e.t.state = task_state::ready;
    e.t.attempt -= 1;
    e.provider.clear();
}

std::size_t pipeline::state::requeue_from(const std::string& provider_name) {
    std::vector<task> back;
    book.each_task([&](workflow_entry&, task_entry& e) {
        if (e.t.state != task_state::executing || e.provider != provider_name)
            return;
        // Not a failed attempt: the provider went, not the task. No late reply of it can
        // pass for the next run's: the connection answered all of its calls with "no reply"
        // right after telling it went, and those find the task ready, not executing.
        requeue(e);
        back.push_back(e.t);
    });
    auto n = back.size();
    enqueue(std::move(back));
    return n;
}

} // namespace gleitzeit::hub
