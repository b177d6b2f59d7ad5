// resolver_dag's state: export_state and import_state in the format "resolver/1" of
// resolver_dag.hpp.

#include "resolver_dag.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <algorithm>
#include <array>

namespace gleitzeit {

namespace json = boost::json;
using resolver_dag_detail::build_graph;
using resolver_dag_detail::is_final;
using resolver_dag_detail::node;
using resolver_dag_detail::workflow_graph;

namespace {

constexpr std::string_view format_v1 = "resolver/1";

[[noreturn]] void refuse(const std::string& why) {
    throw error(error_code::invalid_argument, "resolver-dag: state " + why);
}

// Exactly these keys (`required` of them at least), so that a misspelt field of a hand-made
// state is an error rather than ignored.
template <std::size_t N>
void expect_keys(const json::object& o, const std::array<std::string_view, N>& keys,
                 std::size_t required, const std::string& where) {
    const std::string at = where.empty() ? "" : where + " ";
    for (std::size_t i = 0; i < required; ++i)
        if (!o.contains(keys[i]))
            refuse(at + "has no '" + std::string(keys[i]) + "'");
    for (const auto& kv : o)
        if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end())
            refuse(at + "has an unknown key '" + std::string(kv.key()) + "'");
}

struct imported_task {
    task spec;
    const json::value* result = nullptr;
    std::optional<task_error> error;
};

imported_task read_entry(const json::value& v, const std::string& where) {
    const auto* entry = v.if_object();
    if (!entry)
        refuse(where + " is not an object");
    expect_keys(*entry, std::array<std::string_view, 3>{"task", "result", "error"}, 1, where);
    imported_task t;
    try {
        t.spec = json::value_to<task>(entry->at("task"));
        if (const auto* e = entry->if_contains("error"))
            t.error = json::value_to<task_error>(*e);
    } catch (const error& e) {
        refuse(where + ": " + e.what());
    }
    t.result = entry->if_contains("result");
    return t;
}

// Puts the states of `tasks` on the freshly built `g`, and checks that they could have come
// from analyze and complete.
void apply_states(workflow_graph& g, const std::vector<imported_task>& tasks,
                  const std::string& where) {
    auto& nodes = g.nodes();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        node& n = nodes[i];
        const imported_task& t = tasks[i];
        const std::string at = where + " task '" + n.spec.id + "'";
        const auto state = t.spec.state;
        if (state == task_state::executing || state == task_state::retry_pending ||
            state == task_state::cancelled)
            refuse(at + " has the state '" + std::string(to_string(state)) +
                   "', which the resolver does not use");
        if ((state == task_state::completed) != (t.result != nullptr))
            refuse(at + (t.result ? " has a result but is not completed"
                                  : " is completed but has no result"));
        if ((state == task_state::failed) != t.error.has_value())
            refuse(at +
                   (t.error ? " has an error but is not failed" : " is failed but has no error"));
        n.spec.state = state;
        if (t.result)
            n.result = *t.result;
        n.error = t.error;
        if (is_final(state))
            ++g.finished;
    }
    for (auto& n : nodes) {
        n.waiting = 0;
        bool blocked = false; // a dependency failed or was skipped
        for (auto d : n.dependencies) {
            const auto s = nodes[d].spec.state;
            n.waiting += s != task_state::completed;
            blocked |= s == task_state::failed || s == task_state::skipped;
        }
        const std::string at = where + " task '" + n.spec.id + "'";
        const auto waiting = std::to_string(n.waiting);
        switch (n.spec.state) {
        case task_state::ready:
        case task_state::completed:
            if (n.waiting != 0)
                refuse(at + " is " + std::string(to_string(n.spec.state)) + " but " + waiting +
                       " of its dependencies have not completed");
            break;
        case task_state::pending:
            if (n.waiting == 0)
                refuse(at + " is pending but its dependencies have all completed");
            if (blocked)
                refuse(at + " is pending but a dependency failed or was skipped");
            break;
        case task_state::skipped:
            if (!blocked)
                refuse(at + " is skipped but no dependency failed or was skipped");
            break;
        default:
            break;
        }
    }
}

} // namespace

std::vector<std::string> resolver_dag::state_formats() const {
    return {std::string(format_v1)};
}

json::object resolver_dag::export_state(const std::vector<std::string>& accepted) {
    if (std::find(accepted.begin(), accepted.end(), format_v1) == accepted.end()) {
        std::string names;
        for (const auto& a : accepted)
            names += (names.empty() ? "" : ", ") + a;
        throw error(error_code::state_format,
                    "resolver-dag: cannot write any of [" + names + "]; it writes [resolver/1]");
    }
    json::object state;
    state.emplace("format", format_v1);
    auto& workflows = state["workflows"].emplace_array();
    workflows.reserve(workflows_.size());
    for (const auto& [id, g] : workflows_) {
        auto& w = workflows.emplace_back(json::object()).get_object();
        w.emplace("id", id);
        auto& tasks = w["tasks"].emplace_array();
        tasks.reserve(g->nodes().size());
        for (const node& n : g->nodes()) {
            auto& entry = tasks.emplace_back(json::object()).get_object();
            entry.emplace("task", json::value_from(n.spec));
            if (n.result)
                entry.emplace("result", *n.result);
            if (n.error)
                entry.emplace("error", json::value_from(*n.error));
        }
    }
    return state;
}

void resolver_dag::import_state(const json::object& state) {
    const auto* format = state.if_contains("format");
    const auto* name = format ? format->if_string() : nullptr;
    if (!name)
        throw error(error_code::state_format,
                    "resolver-dag: the state names no format; it reads [resolver/1]");
    if (*name != format_v1)
        throw error(error_code::state_format, "resolver-dag: cannot read state format '" +
                                                  std::string(*name) + "'; it reads [resolver/1]");
    expect_keys(state, std::array<std::string_view, 2>{"format", "workflows"}, 2, "");
    const auto* workflows = state.at("workflows").if_array();
    if (!workflows)
        refuse("workflows is not an array");

    // Built aside and swapped in at the end: a bad state changes nothing.
    decltype(workflows_) imported;
    for (std::size_t i = 0; i < workflows->size(); ++i) {
        std::string where = "workflows[" + std::to_string(i) + "]";
        const auto* w = (*workflows)[i].if_object();
        if (!w)
            refuse(where + " is not an object");
        expect_keys(*w, std::array<std::string_view, 2>{"id", "tasks"}, 2, where);
        const auto* id = w->at("id").if_string();
        const auto* entries = w->at("tasks").if_array();
        if (!id)
            refuse(where + ".id is not a string");
        if (!entries)
            refuse(where + ".tasks is not an array");
        where += " ('" + std::string(*id) + "')";
        if (imported.find(std::string_view(*id)) != imported.end())
            refuse(where + " repeats a workflow id");

        std::vector<imported_task> tasks;
        tasks.reserve(entries->size());
        for (std::size_t j = 0; j < entries->size(); ++j)
            tasks.push_back(read_entry((*entries)[j], where + ".tasks[" + std::to_string(j) + "]"));
        std::vector<task> specs;
        specs.reserve(tasks.size());
        for (const auto& t : tasks)
            specs.push_back(t.spec);
        std::unique_ptr<workflow_graph> g;
        try {
            g = build_graph(std::string(*id), specs);
        } catch (const error& e) {
            refuse(where + ": " + e.what());
        }
        apply_states(*g, tasks, where);
        imported.emplace(std::string(*id), std::move(g));
    }
    workflows_.swap(imported);
}

} // namespace gleitzeit
