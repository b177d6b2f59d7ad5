#pragma once
// resolver-dag: the resolver slot for workflows whose tasks form a directed acyclic graph.
//
// Config: none; any key is refused with error(invalid_argument,
// "resolver-dag: unknown config key 'x'").
//
// analyze(w) refuses with error(invalid_workflow, <message>), the first problem found in this
// order:
//   "workflow has no tasks"
//   "tasks[2] has an empty id"                        (index in w.tasks)
//   "duplicate task id 'b'"
//   "task 'a' depends on itself"
//   "task 'c' depends on unknown task 'x'"
//   "dependency cycle: a -> c -> b -> a"              each task depends on the next; named
//                                                     from its task listed first in w
//   "task 'c' refers to unknown task 'x' in params.q"
//   "task 'c' refers to its own result in params.q"
//   "task 'c' refers to task 'x' in params.q, which is not among its dependencies"
//   "task 'c' has a malformed reference '${a.result[x]}' in params.q: <why>"
// and error(invalid_argument, "workflow 'w' is already tracked") for an id it tracks. A
// dependency listed twice counts once. execution_order is Kahn's order, ties going to the
// task listed first; ready_tasks are the tasks without dependencies, in workflow order, and
// are marked ready. The workflow is then tracked until forget().
//
// References. In a params string value (not in keys), at any depth of objects and arrays,
// "${<task id>.result<path>}" names the result of a task, <path> being any sequence of
// ".field" and "[n]". The task id is what precedes the first ".result" that is followed by
// '.', '[' or '}'. A "${...}" without such a ".result" (a shell's "${HOME}") is text and
// stays as it is; there is no escape. A referenced task must be a dependency of the task,
// direct or through others, so that its result exists when the task is released; this is
// checked by analyze, not at release.
//   - A string that is exactly one reference becomes the value, with its JSON type.
//   - Otherwise each reference is rendered into the string: a string as it is, a number
//     that is not an integer in its shortest decimal ("1.5", "30000", "1e+300"), any other
//     value as compact JSON (Boost.JSON's serializer, so a double inside an object or array
//     reads "1.5E0").
//   - A path that does not exist in the result (a missing field, an index out of range, a
//     field of a non-object) gives JSON null, rendered "null" in text, and the task is still
//     released: whether null is acceptable is the method's schema's business (the registry
//     checks params), and task_release has no way to say "released but failed".
//
// complete(workflow_id, result):
//   - error(not_found) for a workflow or task it does not track: "unknown workflow 'w'",
//     "workflow 'w' has no task 'x'".
//   - A success of a ready task: the task is completed; each dependent whose dependencies
//     have now all completed is marked ready and returned with its params substituted,
//     state ready, in workflow order. A success of a pending task (not released yet) is
//     refused with error(invalid_argument), since its references could not be resolved.
//   - A failure (result.error set) of a pending or ready task: the task is failed, and every
//     dependent, direct or transitive, not yet final is skipped and listed in `skipped`, in
//     workflow order. A failure here is final: retries are the hub's before it reports one.
//     on_failure (fail_fast) is the hub's business too: it cancels the rest.
//   - For a task already completed, failed or skipped (delivery is at least once) nothing
//     changes and the release is empty: the first outcome stands.
//   - workflow_finished: every task completed, failed or skipped.
//   Cost: O(dependents of the task + size of their params) for a success; O(transitive
//   dependents) for a failure. Never O(tasks of the workflow).
//
// forget(id): stops tracking; error(not_found) for an id it does not track.
//
// State format "resolver/1" (export_state / import_state):
//   {"format": "resolver/1",
//    "workflows": [{"id": "<workflow id>",
//                   "tasks": [{"task": <task as in docs/events.md, params unsubstituted,
//                                      state pending|ready|completed|failed|skipped>,
//                              "result": <value>,          only when completed
//                              "error": <task_error>}, ...]  only when failed
//                 }, ...]}
//   Workflows in id order, tasks in workflow order. import_state replaces everything the
//   instance tracks, or changes nothing: error(state_format) for a missing or unknown
//   format; error(invalid_argument, "resolver-dag: state ...") for anything else, including
//   a workflow that analyze would refuse and states that contradict each other (a ready task
//   with a dependency not completed, ...).

#include "workflow_graph.hpp"

#include "gleitzeit/resolver.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gleitzeit {

class resolver_dag : public resolver {
public:
    explicit resolver_dag(const boost::json::object& config);
    ~resolver_dag() override;

    workflow_analysis analyze(const workflow& w) override;
    task_release complete(const std::string& workflow_id, const task_result& result) override;
    void forget(const std::string& workflow_id) override;

    std::vector<std::string> state_formats() const override;
    boost::json::object export_state(const std::vector<std::string>& accepted) override;
    void import_state(const boost::json::object& state) override;

    /// How many workflows are tracked.
    std::size_t tracked() const noexcept { return workflows_.size(); }

private:
    using graph_ptr = std::unique_ptr<resolver_dag_detail::workflow_graph>;

    // Ordered, so that an export is the same for the same contents.
    std::map<std::string, graph_ptr, std::less<>> workflows_;
};

} // namespace gleitzeit
