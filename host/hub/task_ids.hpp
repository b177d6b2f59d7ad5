#pragma once
// Task ids as the pipeline's partners know them.

#include <gleitzeit/types.hpp>

#include <string>

namespace gleitzeit::hub {

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
    if (t.id.size() > t.workflow_id.size() &&
        t.id.compare(0, t.workflow_id.size(), t.workflow_id) == 0)
        t.id.erase(0, t.workflow_id.size() + 1);
    return t;
}

} // namespace gleitzeit::hub
