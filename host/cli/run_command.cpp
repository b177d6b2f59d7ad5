// run: submit, follow the workflow's room until it ends, then show every task's result.

#include "commands.hpp"
#include "hub_connection.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "terminal.hpp"

#include <iostream>
#include <optional>
#include <utility>
#include <vector>

namespace gleitzeit::cli {
namespace {

namespace json = boost::json;

std::string text(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::vector<std::string> task_ids(const json::object& workflow) {
    std::vector<std::string> ids;
    if (const auto* tasks = workflow.if_contains("tasks"); tasks && tasks->is_array())
        for (const auto& t : tasks->get_array())
            if (const auto* o = t.if_object())
                ids.push_back(text(*o, "id"));
    return ids;
}

} // namespace

int run_command(const global_options& g, const std::string& file) {
    auto workflow = read_workflow(file);
    const auto order = task_ids(workflow);

    // --json keeps standard output for the one document at the end; the view writes nowhere.
    std::ostream nowhere(nullptr);
    const std::size_t columns = terminal_columns();
    progress view(g.json ? nowhere : std::cout, order, g.json ? 0 : columns);

    hub_connection hub(g);
    std::string id;
    // The reply names the workflow; events that come before it (another workflow's, seen
    // through room `workflows`) wait until it is known.
    std::vector<std::pair<std::string, json::object>> early;
    hub.on_event([&](const std::string& event, const json::object& payload) {
        if (id.empty())
            early.emplace_back(event, payload);
        else if (text(payload, "workflow_id") == id)
            view.on_event(event, payload);
    });
    hub.connect();
    auto reply =
        require_ok(hub.ask("submit_workflow", json::object{{"workflow", std::move(workflow)}}));
    id = text(reply, "workflow_id");
    for (auto& [event, payload] : early)
        if (text(payload, "workflow_id") == id)
            view.on_event(event, payload);
    early.clear();

    auto outcome = hub.wait([&] { return view.ended(); }, [&] { view.tick(); });
    view.finish();
    if (outcome == hub_connection::wait_result::interrupted) {
        std::cerr << "gleitzeit: interrupted; workflow " << id
                  << " goes on running on the hub (gleitzeit status " << id << ", gleitzeit cancel "
                  << id << ")\n";
        return exit_code::interrupted;
    }
    if (outcome == hub_connection::wait_result::lost)
        throw command_error(exit_code::unreachable,
                            "lost the connection to the hub at " + hub.url() + " (" +
                                hub.lost_reason() + "); workflow " + id +
                                " may still be running (gleitzeit status " + id + ")");

    // The hub's own table has every task's state, attempt and error; the events are the
    // fallback when it cannot be asked.
    json::object final_view;
    try {
        auto status = require_ok(hub.ask("query_status", json::object{{"workflow_id", id}}));
        if (const auto* w = status.if_contains("workflow"); w && w->is_object())
            final_view = w->get_object();
    } catch (const command_error&) {
    }
    if (final_view.empty())
        final_view = view.as_workflow(id);

    const auto& end = view.end();
    auto state = text(end, "state");
    bool completed = state == "completed";
    if (g.json) {
        json::object out{{"ok", completed}, {"workflow_id", id}, {"state", state}};
        if (const auto* reason = end.if_contains("reason"))
            out["reason"] = *reason;
        out["results"] = end.contains("results") ? end.at("results") : json::object();
        out["workflow"] = std::move(final_view);
        print_json(out);
    } else {
        print_results(std::cout, final_view, order, columns);
    }
    if (!completed) {
        auto reason = text(end, "reason");
        throw command_error(exit_code::failed,
                            "workflow " + id + " " + state + (reason.empty() ? "" : ": " + reason));
    }
    return exit_code::ok;
}

} // namespace gleitzeit::cli
