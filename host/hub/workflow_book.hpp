#pragma once
// The workflows the hub holds: each with its tasks, their results and errors, and counts of
// open and failed tasks; and the finished ones kept for query_status ([state] keep_finished).
// It owns that data; the pipeline changes it only through these calls. It lives on the
// pipeline's strand (docs/architecture.md, "Concurrency rule").

#include "hub/clock.hpp"

#include <gleitzeit/types.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gleitzeit::hub {

struct task_entry {
    task t;
    std::optional<boost::json::value> result;
    std::optional<task_error> error;
    std::string provider; // while executing: who runs it
    // Executing: the timeout. Retry pending: the backoff. Ready with no provider for its
    // protocol: how long it may wait for one.
    std::unique_ptr<alarm> timer;
    bool unsaved = false; // changed since the last save was gathered (save_batcher)
};

struct workflow_entry {
    workflow w; // without its tasks: they live in `tasks`
    std::string correlation_id;
    std::map<std::string, task_entry> tasks;
    // Kept by settle(), so that "is it over?" does not walk every task on every result.
    std::size_t open = 0;   // tasks not completed, failed, skipped or cancelled
    std::size_t failed = 0; // tasks failed
    std::unique_ptr<alarm> deadline; // the workflow's timeout, if it has one
    /// The seq of the last progress event told: events are numbered 1, 2, 3, ... per
    /// workflow, across restarts, so that watch_workflow can resume after any of them.
    std::int64_t event_seq = 0;
};

bool terminal(task_state s);

class workflow_book {
public:
    /// Finished workflows are kept while there are at most `keep_finished` of them holding
    /// at most `keep_finished_tasks` tasks together ([state] keep_finished and
    /// keep_finished_tasks): a few huge workflows must not hold the memory a thousand small
    /// ones would.
    explicit workflow_book(std::size_t keep_finished, std::size_t keep_finished_tasks = 20000)
        : keep_finished_(keep_finished), keep_finished_tasks_(keep_finished_tasks) {}

    /// Takes `w` with its tasks; they live in the entry from now on.
    workflow_entry& add(workflow w, std::string correlation_id);
    void erase(const std::string& id);
    workflow_entry* find(const std::string& id);
    task_entry* find_task(const std::string& workflow_id, const std::string& task_id);

    /// Sets a task's state, keeping its workflow's counts.
    static void settle(workflow_entry& wf, task_entry& e, task_state s);

    /// A finished workflow's last change is durable: it joins the finished ones, and the
    /// oldest beyond keep_finished (or keep_finished_tasks) is forgotten. Returns the ids that could not be forgotten
    /// yet, since a change of theirs still waits to be saved: keep them again once it is.
    std::vector<std::string> keep(const std::string& id);

    /// Every workflow.
    template <class Fn> void each(Fn&& fn) {
        for (auto& [id, wf] : workflows_)
            fn(wf);
    }

    /// Every task of every workflow.
    template <class Fn> void each_task(Fn&& fn) {
        for (auto& [id, wf] : workflows_)
            for (auto& [tid, e] : wf.tasks)
                fn(wf, e);
    }

    /// query_status without an id: [{id, name, state, tasks, open}].
    boost::json::array list() const;
    /// query_status of a workflow held here, or nullopt; its results are left out when
    /// together they pass `max_result` bytes (hub/workflow_status.hpp).
    std::optional<boost::json::object> status(const std::string& id, std::size_t max_result) const;

private:
    static void count(workflow_entry& wf);

    std::map<std::string, workflow_entry> workflows_;
    // The finished workflows kept, oldest first, with their number of tasks.
    std::deque<std::pair<std::string, std::size_t>> finished_;
    std::size_t finished_tasks_ = 0;
    std::size_t keep_finished_;
    std::size_t keep_finished_tasks_;
};

} // namespace gleitzeit::hub
