#include "report.hpp"

#include "table.hpp"

#include <gleitzeit/json_text.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>

namespace gleitzeit::cli {
namespace {

namespace json = boost::json;

std::string text_of(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null())
        return "";
    return v->is_string() ? std::string(v->get_string()) : json_text(*v);
}

const json::object& tasks_of(const json::object& workflow) {
    static const json::object none;
    const auto* t = workflow.if_contains("tasks");
    return t && t->is_object() ? t->get_object() : none;
}

const json::object& task_of(const json::object& tasks, const std::string& id) {
    static const json::object none;
    const auto* t = tasks.if_contains(id);
    return t && t->is_object() ? t->get_object() : none;
}

} // namespace

std::string string_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string error_text(const json::value& error) {
    const auto* e = error.if_object();
    if (!e)
        return error.is_string() ? std::string(error.get_string()) : json::serialize(error);
    auto code = text_of(*e, "code");
    auto message = text_of(*e, "message");
    if (code.empty() && message.empty())
        return json::serialize(error);
    if (code.empty() || message.empty())
        return code.empty() ? message : code;
    return code + ": " + message;
}

std::vector<std::string> task_order(const json::object& tasks,
                                    const std::vector<std::string>& order) {
    std::vector<std::string> ids;
    for (const auto& id : order)
        if (tasks.contains(id))
            ids.push_back(id);
    for (const auto& [id, t] : tasks)
        if (std::find(ids.begin(), ids.end(), std::string(id)) == ids.end())
            ids.emplace_back(id);
    return ids;
}

std::string workflow_line(const json::object& workflow) {
    auto name = text_of(workflow, "name");
    if (auto version = text_of(workflow, "version"); !version.empty())
        name += (name.empty() ? "version " : " ") + version;
    auto line = "workflow " + text_of(workflow, "id") + (name.empty() ? "" : " (" + name + ")") +
                ": " + text_of(workflow, "state");
    if (auto about = text_of(workflow, "description"); !about.empty())
        line += "\n  " + about;
    return line;
}

void print_states(std::ostream& out, const json::object& workflow,
                  const std::vector<std::string>& order, std::size_t columns) {
    const auto& tasks = tasks_of(workflow);
    table t({"TASK", "STATE", "ATTEMPT"});
    for (const auto& id : task_order(tasks, order)) {
        const auto& task = task_of(tasks, id);
        t.add({id, text_of(task, "state"), text_of(task, "attempt")});
    }
    t.print(out, columns);
}

void print_results(std::ostream& out, const json::object& workflow,
                   const std::vector<std::string>& order, std::size_t columns) {
    const auto& tasks = tasks_of(workflow);
    table t({"TASK", "STATE", "RESULT"});
    for (const auto& id : task_order(tasks, order)) {
        const auto& task = task_of(tasks, id);
        std::string shown;
        if (const auto* r = task.if_contains("result"))
            shown = json_text(*r);
        else if (const auto* e = task.if_contains("error"))
            shown = error_text(*e);
        t.add({id, text_of(task, "state"), shown});
    }
    t.print(out, columns);
}

void print_summary(std::ostream& out, const json::object& workflow,
                   const std::vector<std::string>& order, std::size_t columns) {
    const auto& tasks = tasks_of(workflow);
    std::map<std::string, std::size_t> count;
    table failures({"TASK", "STATE", "ERROR"});
    std::size_t failed = 0;
    for (const auto& id : task_order(tasks, order)) {
        const auto& task = task_of(tasks, id);
        const auto state = text_of(task, "state");
        ++count[state];
        if (const auto* e = task.if_contains("error")) {
            failures.add({id, state, error_text(*e)});
            ++failed;
        }
    }
    std::string line = std::to_string(tasks.size()) + " tasks:";
    for (const char* state : {"completed", "failed", "skipped", "cancelled"})
        if (count[state])
            line += std::string(line.back() == ':' ? " " : ", ") + state + " " +
                    std::to_string(count[state]);
    out << line << '\n';
    if (failed)
        failures.print(out, columns);
    out << "every task's result: gleitzeit results " << text_of(workflow, "id") << '\n';
}

} // namespace gleitzeit::cli
