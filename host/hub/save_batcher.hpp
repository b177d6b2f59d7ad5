#pragma once
// What waits to be saved to the persistence slot, and what waits for it to be durable.
// Every change joins the batch being gathered; one batch at a time is written (the pipeline
// makes the trip: pipeline_persist.cpp), so a change is durable before its event goes out,
// and under load one transaction carries many changes (docs/architecture.md, "Durability and
// recovery").
// It lives on the pipeline's strand.

#include "hub/batcher.hpp"
#include "hub/task_ids.hpp"
#include "hub/workflow_book.hpp"

#include <gleitzeit/persistence.hpp>

#include <functional>
#include <string>
#include <vector>

namespace gleitzeit::hub {

class save_batcher {
public:
    /// Runs once what was saved before it is durable. A save that fails is written again
    /// until it is (pipeline_persist.cpp): what waits for it waits too.
    using saved_fn = std::function<void()>;

    /// A workflow as submitted, with its tasks, or a changed workflow without them.
    void save(workflow w);
    /// Marks the task changed: the batch takes its state as it is when the batch is gathered,
    /// so a task that changes twice meanwhile is written once. `e` outlives its saving.
    void save(task_entry& e);
    /// A task's result; its place in the batch, for take_saved().
    std::size_t save(const std::string& workflow_id, task_result r);
    /// An event for the event log; its place in the batch, for take_logged().
    std::size_t log(boost::json::object event);
    /// While the continuations of a durable trip run (run_then): its event at `index`, moved
    /// out. So an event is told from what was logged, not from a second copy held meanwhile:
    /// 40 events carrying a 400 KB result each would hold 16 MB more.
    boost::json::object take_logged(std::size_t index);
    /// The same for a saved result, with its task id as the workflow has it.
    task_result take_saved(std::size_t index);
    void after_saved(saved_fn fn);

    /// One write: the batch, and what waits for it.
    struct trip {
        persistence::batch batch;
        std::vector<saved_fn> then;
    };
    /// True if a trip should start now: something waits and no trip is under way. The trip
    /// is then under way; take() gathers it (later, so that more joins it).
    bool claim() { return trips_.claim(); }
    /// Nothing waits to be saved and no trip is under way: all that changed is durable.
    bool idle() { return !trips_.under_way() && trips_.gathering().empty(); }
    trip take();
    void arrived() { trips_.arrived(); }
    /// Runs the continuations of `t`, which is durable, in the order they were added.
    void run_then(trip& t);

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
    trip* told_ = nullptr; // the trip whose continuations run now
};

} // namespace gleitzeit::hub
