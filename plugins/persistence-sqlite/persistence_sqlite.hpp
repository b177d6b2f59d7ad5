#pragma once
// persistence-sqlite: the persistence slot in one SQLite file in WAL mode (docs/architecture.md,
// "Durability and recovery").
//
// Config (the [slots.persistence.config] table, as JSON):
//   path         string, the database file; default "gleitzeit.db". A relative path is
//                relative to the process's working directory; the host passes the file in
//                its state directory.
//   synchronous  "full" (default): a save is on disk when it returns, even across a power
//                loss. "normal": a save survives a crash of the process but the last ones may
//                be lost on a power loss; commits cost no fsync each.
// Any other key is refused: error(invalid_argument, "persistence-sqlite: unknown config key
// 'x'").
//
// The file is opened, switched to WAL and migrated in the constructor, so that a path that
// cannot be opened refuses the plugin when it is created (a bad plugin is refused and the
// running one stays: docs/architecture.md, "Hot swap"), before the host starts or swaps anything:
//   error(plugin_error, "persistence-sqlite: cannot open database '<path>': <sqlite message>")
//
// Hot swap: the data is in the file, so state_formats() is empty; the next generation opens
// the same file with a connection of its own. Both may be open during a swap; writes take
// the file's write lock (BEGIN IMMEDIATE) and wait for it up to busy_timeout_ms.
//
// Ids: a task id is unique across workflows, as the queue and load_result(task_id) take it.
// Saving a task under another workflow than the one it was first saved with is refused.

#include "database.hpp"

#include "gleitzeit/archive.hpp"
#include "gleitzeit/persistence.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gleitzeit {

/// What a restarting host does with one unfinished workflow (docs/architecture.md, "Durability and
/// recovery").
struct workflow_recovery {
    /// The workflow with every task as last saved, in the order of load_unfinished().
    workflow saved;
    /// Tasks to put back in the queue, in the workflow's task order: ready and retry_pending
    /// ones as saved (a retry keeps its due_ms), and the executing ones as ready with
    /// attempt + 1 (the attempt the crash interrupted counts). Nothing is written: the host
    /// saves the tasks when it enqueues them, and a second crash before that plans the same.
    /// Whether attempt + 1 exceeds retry.max_attempts is the host's rule, not decided here.
    std::vector<task> requeue;
};

class persistence_sqlite : public persistence, public workflow_archive, public event_history {
public:
    static constexpr int busy_timeout_ms = 5000;

    explicit persistence_sqlite(const boost::json::object& config);
    ~persistence_sqlite() override;

    /// One transaction: the batch's workflows (with the tasks they carry), then its tasks,
    /// results and events. Workflows and tasks are upserts; a result already saved for a task
    /// is kept and the new one ignored (a task's final result is stored exactly once); events
    /// are appended with the time of the save. Anything refused (a task of a workflow never
    /// saved, a result of an unknown task, a task moved to another workflow) rolls the whole
    /// batch back and throws gleitzeit::error naming the row.
    void save(const batch& b) override;
    /// Workflows in state pending or running, in creation order, each with all its tasks in
    /// the order first saved.
    std::vector<workflow> load_unfinished() override;
    std::optional<task_result> load_result(const std::string& task_id) override;
    /// Any workflow saved, finished or not, with its tasks in the order first saved.
    std::optional<workflow> load_workflow(const std::string& id) override;

    /// The workflow's events with "seq" over `since`, in seq order (persistence_events.cpp).
    std::vector<boost::json::object> load_events(const std::string& workflow_id,
                                                 std::int64_t since, std::size_t limit) override;
    std::int64_t last_event_seq(const std::string& workflow_id) override;

    /// load_unfinished() with what to re-queue; see workflow_recovery.
    std::vector<workflow_recovery> recovery_plan();

    const std::string& path() const noexcept { return db_.path(); }

private:
    /// Appends the saved tasks of `w` to w.tasks, inside the caller's transaction.
    void load_tasks(workflow& w);

    struct settings {
        std::string path = "gleitzeit.db";
        bool synchronous_full = true;
    };
    static settings read_settings(const boost::json::object& config);

    void save_workflow(const workflow& w, std::int64_t now_ms);
    /// `workflow_id`: the task's own, or its workflow's when the task is carried by one.
    void save_task(const task& t, const std::string& workflow_id, std::int64_t now_ms);
    void save_result(const task_result& r, std::int64_t now_ms);
    void save_event(const boost::json::object& e, std::int64_t now_ms);

    settings settings_;
    persistence_sqlite_detail::database db_;
};

} // namespace gleitzeit
