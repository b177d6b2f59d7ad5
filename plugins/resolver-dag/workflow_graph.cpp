// build_graph: the checks of analyze, in the order a user fixes them (ids, then edges, then
// cycles, then references), and Kahn's order.

#include "workflow_graph.hpp"

#include "result_reference.hpp"

#include "gleitzeit/error.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>

namespace gleitzeit::resolver_dag_detail {

namespace {

constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

[[noreturn]] void refuse(const std::string& why) {
    throw error(error_code::invalid_workflow, why);
}

std::string quoted(std::string_view s) {
    return "'" + std::string(s) + "'";
}

// Names one cycle among the tasks Kahn's algorithm could not order. Each of them waits for
// at least one other of them, so following such a dependency from any of them ends in a
// cycle. It is named from its task listed first in the workflow, each task followed by the
// one it depends on: "dependency cycle: a -> c -> b -> a".
[[noreturn]] void refuse_cycle(const std::vector<node>& nodes,
                               const std::vector<std::uint32_t>& in_degree) {
    std::uint32_t at = 0;
    while (in_degree[at] == 0)
        ++at;
    std::vector<std::uint32_t> position(nodes.size(), none);
    std::vector<std::uint32_t> walk;
    while (position[at] == none) {
        position[at] = static_cast<std::uint32_t>(walk.size());
        walk.push_back(at);
        const auto& deps = nodes[at].dependencies;
        at = *std::find_if(deps.begin(), deps.end(), [&](auto d) { return in_degree[d] != 0; });
    }
    std::vector<std::uint32_t> cycle(walk.begin() + position[at], walk.end());
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    std::string names;
    for (auto i : cycle)
        names += nodes[i].spec.id + " -> ";
    refuse("dependency cycle: " + names + nodes[cycle.front()].spec.id);
}

// Whether `ancestor` is a dependency of `of`, directly or through others. `stamp` marks the
// tasks seen by this search; it is shared between searches so that each costs only the
// tasks it visits.
bool depends_on(const std::vector<node>& nodes, std::uint32_t of, std::uint32_t ancestor,
                std::vector<std::uint32_t>& stamp, std::uint32_t& search) {
    const auto& direct = nodes[of].dependencies;
    if (std::find(direct.begin(), direct.end(), ancestor) != direct.end())
        return true;
    ++search;
    std::vector<std::uint32_t> todo(direct.begin(), direct.end());
    while (!todo.empty()) {
        const auto at = todo.back();
        todo.pop_back();
        if (at == ancestor)
            return true;
        if (stamp[at] == search)
            continue;
        stamp[at] = search;
        for (auto d : nodes[at].dependencies)
            if (stamp[d] != search)
                todo.push_back(d);
    }
    return false;
}

void check_references(workflow_graph& g) {
    auto& nodes = g.nodes();
    std::vector<std::uint32_t> stamp(nodes.size(), 0);
    std::uint32_t search = 0;
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
        node& n = nodes[i];
        const std::string& id = n.spec.id;
        auto check = [&](std::string_view target, const std::string& where) {
            const auto t = g.find(target);
            if (!t)
                refuse("task " + quoted(id) + " refers to unknown task " + quoted(target) + " in " +
                       where);
            if (*t == i)
                refuse("task " + quoted(id) + " refers to its own result in " + where);
            if (!depends_on(nodes, i, *t, stamp, search))
                refuse("task " + quoted(id) + " refers to task " + quoted(target) + " in " + where +
                       ", which is not among its dependencies");
            nodes[*t].referenced = true;
        };
        try {
            n.has_references = visit_references(n.spec.params, check);
        } catch (const malformed_reference& e) {
            refuse("task " + quoted(id) + " has a malformed reference " + quoted(e.text()) +
                   " in " + e.where() + ": " + e.what());
        }
    }
}

} // namespace

bool is_final(task_state s) noexcept {
    return s == task_state::completed || s == task_state::failed || s == task_state::skipped;
}

std::optional<std::uint32_t> workflow_graph::find(std::string_view task_id) const {
    const auto it = index_.find(task_id);
    if (it == index_.end())
        return std::nullopt;
    return it->second;
}

std::unique_ptr<workflow_graph> build_graph(std::string workflow_id, std::span<const task> tasks) {
    if (tasks.empty())
        refuse("workflow has no tasks");
    if (tasks.size() >= none)
        refuse("workflow has too many tasks (" + std::to_string(tasks.size()) + ")");
    auto g = std::make_unique<workflow_graph>();
    g->id_ = std::move(workflow_id);
    auto& nodes = g->nodes_;
    nodes.reserve(tasks.size());
    g->index_.reserve(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (tasks[i].id.empty())
            refuse("tasks[" + std::to_string(i) + "] has an empty id");
        node& n = nodes.emplace_back();
        n.spec = tasks[i];
        n.spec.workflow_id = g->id_;
        n.spec.state = task_state::pending;
        if (!g->index_.emplace(n.spec.id, static_cast<std::uint32_t>(i)).second)
            refuse("duplicate task id " + quoted(n.spec.id));
    }

    // A dependency listed twice is one edge: its completion must count once.
    std::vector<std::uint32_t> listed(nodes.size(), none);
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
        node& n = nodes[i];
        n.dependencies.reserve(n.spec.dependencies.size());
        for (const auto& name : n.spec.dependencies) {
            if (name == n.spec.id)
                refuse("task " + quoted(n.spec.id) + " depends on itself");
            const auto d = g->find(name);
            if (!d)
                refuse("task " + quoted(n.spec.id) + " depends on unknown task " + quoted(name));
            if (listed[*d] == i)
                continue;
            listed[*d] = i;
            n.dependencies.push_back(*d);
            nodes[*d].dependents.push_back(i);
        }
        n.waiting = static_cast<std::uint32_t>(n.dependencies.size());
    }

    std::vector<std::uint32_t> in_degree(nodes.size());
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> ready;
    for (std::uint32_t i = 0; i < nodes.size(); ++i)
        if ((in_degree[i] = nodes[i].waiting) == 0)
            ready.push(i);
    g->order_.reserve(nodes.size());
    while (!ready.empty()) {
        const auto i = ready.top();
        ready.pop();
        g->order_.push_back(i);
        for (auto d : nodes[i].dependents)
            if (--in_degree[d] == 0)
                ready.push(d);
    }
    if (g->order_.size() != nodes.size())
        refuse_cycle(nodes, in_degree);

    check_references(*g);
    return g;
}

} // namespace gleitzeit::resolver_dag_detail
