#pragma once
// The dependency graph of one tracked workflow: its tasks by index, the edges both ways, and
// what each task has produced. Built and checked by build_graph (analyze and import_state
// share it, so an imported state passes the same checks as a submitted workflow).

#include "gleitzeit/types.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gleitzeit::resolver_dag_detail {

struct node {
    task spec; // as submitted: params keep their references; spec.state is the resolver's
    std::vector<std::uint32_t> dependencies;  // each once, in the order the task lists them
    std::vector<std::uint32_t> dependents;    // each once, in workflow order
    std::uint32_t waiting = 0;                // dependencies not completed yet
    bool has_references = false;              // params hold ${<id>.result...}
    bool referenced = false;                  // another task's params hold ${<this id>...}
    std::optional<boost::json::value> result; // set when completed
    std::optional<task_error> error;          // set when failed
};

/// True for the states a task of the resolver does not leave: completed, failed, skipped.
bool is_final(task_state s) noexcept;

class workflow_graph {
public:
    workflow_graph() = default;
    // The index holds views of the ids inside nodes_: the graph stays where it was built.
    workflow_graph(const workflow_graph&) = delete;
    workflow_graph& operator=(const workflow_graph&) = delete;

    const std::string& id() const noexcept { return id_; }
    std::vector<node>& nodes() noexcept { return nodes_; }
    const std::vector<node>& nodes() const noexcept { return nodes_; }
    /// Kahn's order; ties go to the task listed first in the workflow.
    const std::vector<std::uint32_t>& order() const noexcept { return order_; }
    /// The index of the task `task_id`; nullopt when the workflow has none.
    std::optional<std::uint32_t> find(std::string_view task_id) const;

    /// Tasks in a final state; the workflow is finished when it equals nodes().size().
    std::size_t finished = 0;

    friend std::unique_ptr<workflow_graph> build_graph(std::string workflow_id,
                                                       std::span<const task> tasks);

private:
    std::string id_;
    std::vector<node> nodes_;
    std::unordered_map<std::string_view, std::uint32_t> index_;
    std::vector<std::uint32_t> order_;
};

/// Checks `tasks` and builds their graph, every task pending and waiting for all of its
/// dependencies. Throws error(invalid_workflow) with the messages of resolver_dag.hpp.
/// The tasks are copied straight into the graph: one copy of a large workflow, not two.
std::unique_ptr<workflow_graph> build_graph(std::string workflow_id, std::span<const task> tasks);

} // namespace gleitzeit::resolver_dag_detail
