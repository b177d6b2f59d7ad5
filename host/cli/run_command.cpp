// run: submit, follow the workflow's room until it ends, then show every task's result. The
// following is shared with exec and batch (workflow_shortcuts.cpp).

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

std::vector<std::string> task_ids(const json::object& workflow) {
    std::vector<std::string> ids;
    if (const auto* tasks = workflow.if_contains("tasks"); tasks && tasks->is_array())
        for (const auto& t : tasks->get_array())
            if (const auto* o = t.if_object())
                ids.push_back(string_field(*o, "id"));
    return ids;
}

} // namespace

run_outcome follow_workflow(const global_options& g, boost::json::object workflow, bool verbose,
                            bool quiet) {
    run_outcome out;
    out.order = task_ids(workflow);

    // --json keeps standard output for the one document at the end; the view writes nowhere.
    std::ostream nowhere(nullptr);
    out.columns = terminal_columns();
    const bool silent = g.json || quiet;
    progress view(silent ? nowhere : std::cout, out.order, silent ? 0 : out.columns, verbose);

    hub_connection hub(g);
    std::string& id = out.id;
    // The reply names the workflow; events that come before it (another workflow's, seen
    // through room `workflows`) wait until it is known.
    std::vector<std::pair<std::string, json::object>> early;
    hub.on_event([&](const std::string& event, const json::object& payload) {
        if (id.empty())
            early.emplace_back(event, payload);
        else if (string_field(payload, "workflow_id") == id)
            view.on_event(event, payload);
    });
    hub.connect();
    // A silent run waits for the end alone: the hub need not send it two events per task.
    json::object submit;
    submit["workflow"] = std::move(workflow); // moved: an initializer list would copy it
    if (silent)
        submit["watch"] = "end";
    auto reply = require_ok(hub.ask("submit_workflow", std::move(submit)));
    id = string_field(reply, "workflow_id");
    for (auto& [event, payload] : early)
        if (string_field(payload, "workflow_id") == id)
            view.on_event(event, payload);
    early.clear();

    auto outcome = hub.wait([&] { return view.ended(); }, [&] { view.tick(); });
    view.finish();
    if (outcome == hub_connection::wait_result::interrupted)
        throw command_error(exit_code::interrupted,
                            "interrupted; workflow " + id + " goes on running on the hub "
                            "(gleitzeit status " + id + ", gleitzeit cancel " + id + ")");
    if (outcome == hub_connection::wait_result::lost)
        throw command_error(exit_code::unreachable,
                            "lost the connection to the hub at " + hub.url() + " (" +
                                hub.lost_reason() + "); workflow " + id +
                                " may still be running (gleitzeit status " + id + ")");

    // The hub's own table has every task's state, attempt and error; the events are the
    // fallback when it cannot be asked.
    try {
        auto status = require_ok(hub.ask("query_status", json::object{{"workflow_id", id}}));
        if (auto* w = status.if_contains("workflow"); w && w->is_object())
            out.workflow = std::move(w->get_object());
    } catch (const command_error&) {
    }
    if (out.workflow.empty())
        out.workflow = view.as_workflow(id);
    out.end = view.take_end();
    out.state = string_field(out.end, "state");
    return out;
}

void print_outcome_json(run_outcome& r) {
    // The results and the workflow move into the document: for 10,000 tasks a copy of each
    // would cost the CLI milliseconds.
    json::object out{{"ok", r.completed()}, {"workflow_id", r.id}, {"state", r.state}};
    if (const auto* reason = r.end.if_contains("reason"))
        out["reason"] = *reason;
    if (auto* results = r.end.if_contains("results"))
        out["results"] = std::move(*results);
    else
        out["results"] = json::object();
    out["workflow"] = std::move(r.workflow);
    print_json(out);
}

int exit_of(const run_outcome& r) {
    if (!r.completed()) {
        auto reason = string_field(r.end, "reason");
        throw command_error(exit_code::failed, "workflow " + r.id + " " + r.state +
                                                   (reason.empty() ? "" : ": " + reason));
    }
    return exit_code::ok;
}

int run_command(const global_options& g, const std::string& file, bool verbose) {
    auto r = follow_workflow(g, read_workflow(file), verbose);
    if (g.json)
        print_outcome_json(r);
    else if (!verbose && r.order.size() > summary_above)
        print_summary(std::cout, r.workflow, r.order, r.columns);
    else
        print_results(std::cout, r.workflow, r.order, r.columns);
    return exit_of(r);
}

} // namespace gleitzeit::cli
