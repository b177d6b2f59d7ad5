// resolver_dag: analyze, complete and forget. The state is in resolver_state.cpp, the checks
// in workflow_graph.cpp, references in result_reference.cpp.

#include "resolver_dag.hpp"

#include "result_reference.hpp"

#include <algorithm>

namespace gleitzeit {

using resolver_dag_detail::build_graph;
using resolver_dag_detail::is_final;
using resolver_dag_detail::node;
using resolver_dag_detail::workflow_graph;

namespace {

// The task as the hub dispatches it: ready, its references replaced by what they name.
task released(const workflow_graph& g, std::uint32_t i) {
    const node& n = g.nodes()[i];
    task t = n.spec;
    if (n.has_references)
        t.params = resolver_dag_detail::substitute(
            n.spec.params, [&](std::string_view id) -> const boost::json::value* {
                const auto at = g.find(id);
                if (!at)
                    return nullptr;
                const auto& result = g.nodes()[*at].result;
                return result ? &*result : nullptr;
            });
    return t;
}

/// Fails task `i` with `why`, and skips every dependent not yet final, through any path, into
/// `release`. A final task stops the walk: its own dependents were either skipped with it or
/// wait for it no more.
void fail_node(workflow_graph& g, std::uint32_t i, task_error why, task_release& release) {
    auto& nodes = g.nodes();
    node& n = nodes[i];
    n.spec.state = task_state::failed;
    n.error = std::move(why);
    ++g.finished;
    std::vector<std::uint32_t> todo(n.dependents.begin(), n.dependents.end());
    std::vector<std::uint32_t> skipped;
    while (!todo.empty()) {
        const auto d = todo.back();
        todo.pop_back();
        node& dependent = nodes[d];
        if (is_final(dependent.spec.state))
            continue;
        dependent.spec.state = task_state::skipped;
        ++g.finished;
        skipped.push_back(d);
        todo.insert(todo.end(), dependent.dependents.begin(), dependent.dependents.end());
    }
    std::sort(skipped.begin(), skipped.end());
    for (auto d : skipped)
        release.skipped.push_back(nodes[d].spec.id);
}

} // namespace

resolver_dag::resolver_dag(const boost::json::object& config) {
    for (const auto& kv : config)
        throw error(error_code::invalid_argument,
                    "resolver-dag: unknown config key '" + std::string(kv.key()) + "'");
}

resolver_dag::~resolver_dag() = default;

workflow_analysis resolver_dag::analyze(const workflow& w) {
    if (workflows_.find(w.id) != workflows_.end())
        throw error(error_code::invalid_argument, "workflow '" + w.id + "' is already tracked");
    auto g = build_graph(w.id, w.tasks);

    workflow_analysis a;
    a.execution_order.reserve(g->order().size());
    for (auto i : g->order())
        a.execution_order.push_back(g->nodes()[i].spec.id);
    for (auto& n : g->nodes())
        if (n.dependencies.empty()) {
            n.spec.state = task_state::ready;
            a.ready_tasks.push_back(n.spec.id);
        }
    workflows_.emplace(w.id, std::move(g));
    return a;
}

task_release resolver_dag::complete(const std::string& workflow_id, const task_result& result) {
    const auto it = workflows_.find(workflow_id);
    if (it == workflows_.end())
        throw error(error_code::not_found, "unknown workflow '" + workflow_id + "'");
    workflow_graph& g = *it->second;
    const auto at = g.find(result.task_id);
    if (!at)
        throw error(error_code::not_found,
                    "workflow '" + workflow_id + "' has no task '" + result.task_id + "'");
    auto& nodes = g.nodes();
    node& n = nodes[*at];

    task_release release;
    if (is_final(n.spec.state)) {
        release.workflow_finished = g.finished == nodes.size();
        return release;
    }

    if (result.ok()) {
        if (n.spec.state != task_state::ready)
            throw error(error_code::invalid_argument,
                        "task '" + n.spec.id + "' of workflow '" + workflow_id +
                            "' cannot complete: it is not ready (" + std::to_string(n.waiting) +
                            " of its dependencies have not completed)");
        n.spec.state = task_state::completed;
        // Only a dependent's ${...} reads a result here; the hub keeps every result for
        // itself. A result nothing references is held as null: 40 tasks that each return
        // 400 KB would otherwise be held here a second time, 16 MB.
        n.result = n.referenced ? *result.result : boost::json::value();
        ++g.finished;
        std::vector<std::pair<std::uint32_t, std::string>> unresolved;
        for (auto d : n.dependents) {
            node& dependent = nodes[d];
            // A skipped dependent still counts down, so that waiting stays "dependencies not
            // completed" for every task, as an import recomputes it.
            if (--dependent.waiting == 0 && dependent.spec.state == task_state::pending) {
                try {
                    auto t = released(g, d);
                    dependent.spec.state = task_state::ready;
                    t.state = task_state::ready;
                    release.ready_tasks.push_back(std::move(t));
                } catch (const resolver_dag_detail::unresolved_reference& e) {
                    unresolved.emplace_back(d, e.what());
                }
            }
        }
        // A task whose params cannot be made fails; it does not run on a null.
        for (auto& [d, why] : unresolved) {
            task_error err{error_code::unresolved_reference, std::move(why), false};
            release.failed.push_back(task_result{nodes[d].spec.id, std::nullopt, err, "", 0});
            fail_node(g, d, std::move(err), release);
        }
    } else {
        fail_node(g, *at, result.error.value_or(task_error{}), release);
    }
    release.workflow_finished = g.finished == nodes.size();
    return release;
}

void resolver_dag::forget(const std::string& workflow_id) {
    const auto it = workflows_.find(workflow_id);
    if (it == workflows_.end())
        throw error(error_code::not_found, "unknown workflow '" + workflow_id + "'");
    workflows_.erase(it);
}

} // namespace gleitzeit
