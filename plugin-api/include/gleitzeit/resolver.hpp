#pragma once
// The resolver slot: checks a workflow's dependency graph and says which tasks are ready.

#include "gleitzeit/plugin.hpp"
#include "gleitzeit/types.hpp"

#include <string>
#include <vector>

namespace gleitzeit {

struct workflow_analysis {
    std::vector<std::string> execution_order; // a topological order of all task ids
    std::vector<std::string> ready_tasks;     // tasks without dependencies
};

/// What completing (or failing) one task changes.
struct task_release {
    std::vector<task> ready_tasks;        // dependents now ready, with params substituted
    std::vector<std::string> skipped;     // dependents that can no longer run
    /// Dependents whose params could not be made: a ${...} names a path the result does not
    /// have. Each fails with this result (error unresolved_reference, not retryable) and is
    /// not run; their own dependents are in `skipped`. Plugin API 3.
    std::vector<task_result> failed;
    bool workflow_finished = false;
};

class resolver : public plugin {
public:
    ~resolver() override;

    /// Throws error(invalid_workflow) for duplicate ids, unknown or self dependencies and
    /// cycles (naming the cycle). Tracks the workflow until it finishes.
    virtual workflow_analysis analyze(const workflow& w) = 0;
    /// Records `result` for its task and releases what it unblocks.
    virtual task_release complete(const std::string& workflow_id, const task_result& result) = 0;
    /// Stops tracking a workflow (finished or cancelled).
    virtual void forget(const std::string& workflow_id) = 0;
};

} // namespace gleitzeit
