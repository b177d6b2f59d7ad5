// submit, status, results, cancel: one request each, the reply shown as a table or, with
// --json, as the hub gave it.

#include "commands.hpp"
#include "hub_connection.hpp"
#include "report.hpp"
#include "table.hpp"
#include "terminal.hpp"
#include "workflow_file.hpp"

#include <gleitzeit/json_text.hpp>

#include <boost/json/serialize.hpp>

#include <iostream>

namespace gleitzeit::cli {
namespace {

namespace json = boost::json;

/// query_status of `workflow_id`; the reply's `workflow` (the whole reply with --json).
json::object query(hub_connection& hub, const std::string& workflow_id) {
    return require_ok(hub.ask("query_status", json::object{{"workflow_id", workflow_id}}));
}

} // namespace

json::object query_with_results(hub_connection& hub, const std::string& workflow_id) {
    auto reply = query(hub, workflow_id);
    auto* w = reply.if_contains("workflow");
    auto* o = w ? w->if_object() : nullptr;
    if (!o || !o->erase("results_omitted"))
        return reply;
    if (auto* tasks = o->if_contains("tasks"); tasks && tasks->is_object())
        for (auto& [id, entry] : tasks->get_object()) {
            auto one = require_ok(hub.ask(
                "query_status", json::object{{"workflow_id", workflow_id}, {"task_id", id}}));
            if (auto* t = one.if_contains("task"); t && t->is_object())
                entry = std::move(*t);
        }
    return reply;
}

namespace {

const json::object& workflow_of(const json::object& reply) {
    const auto* w = reply.if_contains("workflow");
    if (!w || !w->is_object())
        throw command_error(exit_code::failed,
                            "query_status answered without a workflow: " + json::serialize(reply));
    return w->get_object();
}

/// The list of workflows, from a hub whose query_status without an id lists them.
void print_workflows(const json::array& list) {
    table t({"WORKFLOW", "NAME", "STATE"});
    auto text = [](const json::object& o, std::string_view key) {
        const auto* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    for (const auto& w : list)
        if (const auto* o = w.if_object())
            t.add({text(*o, "id"), text(*o, "name"), text(*o, "state")});
    t.print(std::cout, terminal_columns());
}

/// query_status of one workflow: its line and `table` of its tasks, or the reply with --json.
template <class Table>
int show_workflow(const global_options& g, hub_connection& hub, const std::string& workflow_id,
                  Table table, bool with_results) {
    auto reply = with_results ? query_with_results(hub, workflow_id) : query(hub, workflow_id);
    if (g.json) {
        print_json(reply);
        return exit_code::ok;
    }
    const auto& w = workflow_of(reply);
    std::cout << workflow_line(w) << '\n';
    table(std::cout, w, {}, terminal_columns());
    return exit_code::ok;
}

} // namespace

void print_json(const json::value& v) {
    std::cout << json_text(v) << '\n' << std::flush; // numbers as written: 0.2, not 2E-1
}

json::object read_workflow(const std::string& file) {
    try {
        std::vector<std::string> warnings;
        auto w = read_workflow_file(file, &warnings);
        for (const auto& line : warnings)
            std::cerr << line << '\n';
        return w;
    } catch (const workflow_file_error& e) {
        for (const auto& line : e.warnings)
            std::cerr << line << '\n';
        throw command_error(exit_code::usage, e.what());
    }
}

int validate_command(const global_options& g, const std::string& file) {
    auto workflow = read_workflow(file);
    if (g.json) {
        print_json(json::object{{"ok", true}, {"workflow", std::move(workflow)}});
        return exit_code::ok;
    }
    const auto* tasks = workflow.if_contains("tasks");
    const auto n = tasks && tasks->is_array() ? tasks->get_array().size() : 0;
    std::cout << file << ": reads, " << n << (n == 1 ? " task" : " tasks")
              << "; the hub checks the rest (protocols, params, cycles) when it is sent\n";
    return exit_code::ok;
}

int submit_command(const global_options& g, const std::string& file) {
    auto workflow = read_workflow(file);
    hub_connection hub(g);
    hub.connect();
    auto reply =
        require_ok(hub.ask("submit_workflow", json::object{{"workflow", std::move(workflow)}}));
    if (g.json)
        print_json(reply);
    else if (const auto* id = reply.if_contains("workflow_id"); id && id->is_string())
        std::cout << std::string_view(id->get_string()) << '\n';
    return exit_code::ok;
}

int status_command(const global_options& g, const std::string& workflow_id) {
    hub_connection hub(g);
    hub.connect();
    if (workflow_id.empty()) {
        // The wire contract makes the id optional; a hub that lists workflows answers with
        // `workflows`, today's answers not_found.
        auto reply = hub.ask("query_status", json::object{});
        const auto* list = reply.if_contains("workflows");
        if (list && list->is_array()) {
            if (g.json)
                print_json(reply);
            else
                print_workflows(list->get_array());
            return exit_code::ok;
        }
        std::string said;
        try {
            require_ok(reply);
        } catch (const command_error& e) {
            said = std::string(" (it answered ") + e.what() + ")";
        }
        throw command_error(exit_code::usage,
                            "status needs a workflow id: the hub at " + hub.url() +
                                " does not list workflows" + said,
                            std::move(reply));
    }
    return show_workflow(g, hub, workflow_id, print_states, false);
}

int results_command(const global_options& g, const std::string& workflow_id) {
    hub_connection hub(g);
    hub.connect();
    return show_workflow(g, hub, workflow_id, print_results, true);
}

int cancel_command(const global_options& g, const std::string& workflow_id) {
    hub_connection hub(g);
    hub.connect();
    auto reply = require_ok(hub.ask("cancel_workflow", json::object{{"workflow_id", workflow_id}}));
    if (g.json)
        print_json(reply);
    else
        std::cout << "cancelled workflow " << workflow_id << '\n';
    return exit_code::ok;
}

} // namespace gleitzeit::cli
