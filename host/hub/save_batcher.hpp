#pragma once
// What waits to be saved to the persistence slot, and what waits for it to be durable.
// Every change joins the batch being gathered; one batch at a time is written (the pipeline
// makes the trip: pipeline_persist.cpp), so a change is durable before its event goes out,
// and under load one transaction carries many changes (docs/architecture.md, "Durability").
// It lives on the pipeline's strand.

#include "hub/batcher.hpp"
#include "hub/workflow_book.hpp"

#include <gleitzeit/persistence.hpp>

#include <functional>
#include <string>
#include <vector>

namespace gleitzeit::hub {

class save_batcher {
public:
    /// Runs once what was saved before it is durable; `error` is empty if it is.
    using saved_fn = std::function<void(const std::string& error)>;

    /// A workflow as submitted, with its tasks, or a changed workflow without them.
    void save(workflow w);
    /// Marks the task changed: the batch takes its state as it is when the batch is gathered,
    /// so a task that changes twice meanwhile is written once. `e` outlives its saving.
    void save(task_entry& e);
    void save(const std::string& workflow_id, task_result r);
    /// An event for the event log.
    void log(boost::json::object event);
    void after_saved(saved_fn fn);

    /// One write: the batch, and what waits for it.
    struct trip {
        persistence::batch batch;
        std::vector<saved_fn> then;
    };
    /// True if a trip should start now: something waits and no trip is under way. The trip
    /// is then under way; take() gathers it (later, so that more joins it).
    bool claim() { return trips_.claim(); }
    trip take();
    void arrived() { trips_.arrived(); }

private:
    struct gathered {
        persistence::batch batch;
        std::vector<task_entry*> dirty;
        std::vector<saved_fn> then;
        bool empty() const {
            return batch.workflows.empty() && batch.tasks.empty() && batch.results.empty() &&
                   batch.events.empty() && dirty.empty() && then.empty();
        }
    };
    batcher<gathered> trips_;
};

/// The id by which the queue, the persistence slot and the providers know a task. A
/// workflow names its tasks as it likes ("a", "fetch"), so two workflows may both have an
/// "a"; the workflow id in front makes the id unique, and the task's workflow_id says where
/// to cut it again.
inline std::string qualified(const std::string& workflow_id, const std::string& task_id) {
    return workflow_id + "/" + task_id;
}
inline task qualified(task t) {
    t.id = qualified(t.workflow_id, t.id);
    return t;
}
/// The workflow's own id of a task the queue or the persistence slot gave back.
inline task unqualified(task t) {
    if (t.id.size() > t.workflow_id.size() && t.id.compare(0, t.workflow_id.size(), t.workflow_id) == 0)
        t.id.erase(0, t.workflow_id.size() + 1);
    return t;
}

} // namespace gleitzeit::hub
