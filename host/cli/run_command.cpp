// run: submit, follow the workflow's room until it ends, then show every task's result. The
// following is shared with exec and batch (workflow_shortcuts.cpp).

#include "commands.hpp"
#include "follow.hpp"
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

    auto hub = std::make_unique<hub_connection>(g);
    follower f(view);
    f.listen(*hub);
    hub->connect();
    // A silent run waits for the end alone: the hub need not send it two events per task.
    json::object submit;
    submit["workflow"] = std::move(workflow); // moved: an initializer list would copy it
    if (silent)
        submit["watch"] = "end";
    auto reply = require_ok(hub->ask("submit_workflow", std::move(submit)));
    out.id = string_field(reply, "workflow_id");
    f.follow(out.id);
    follow_to_outcome(g, hub, f, out);
    return out;
}

void take_outcome(hub_connection& hub, progress& view, run_outcome& out) {
    const auto& id = out.id;
    // The hub's own table has every task's state, attempt and error; the events are the
    // fallback when it cannot be asked.
    try {
        auto status = query_with_results(hub, id);
        if (auto* w = status.if_contains("workflow"); w && w->is_object())
            out.workflow = std::move(w->get_object());
    } catch (const command_error&) {
    }
    if (out.workflow.empty())
        out.workflow = view.as_workflow(id);
    out.end = view.take_end();
    out.state = string_field(out.end, "state");
}

namespace {

/// Each task's result from the hub's table: the end event leaves them out when together they
/// are over the hub's max_payload (docs/events.md, workflow_completed).
json::object results_of(const json::object& workflow) {
    json::object out;
    if (const auto* tasks = workflow.if_contains("tasks"); tasks && tasks->is_object())
        for (const auto& [id, t] : tasks->get_object())
            if (const auto* result = t.is_object() ? t.get_object().if_contains("result") : nullptr)
                out[id] = *result;
    return out;
}

} // namespace

void print_outcome_json(run_outcome& r) {
    // The results and the workflow move into the document: for 10,000 tasks a copy of each
    // would cost the CLI milliseconds.
    json::object out{{"ok", r.completed()}, {"workflow_id", r.id}, {"state", r.state}};
    if (const auto* reason = r.end.if_contains("reason"))
        out["reason"] = *reason;
    if (auto* results = r.end.if_contains("results"); results && !r.end.contains("results_omitted"))
        out["results"] = std::move(*results);
    else
        out["results"] = results_of(r.workflow);
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

namespace {

int report_outcome(const global_options& g, run_outcome& r, bool verbose) {
    if (g.json)
        print_outcome_json(r);
    else if (!verbose && r.order.size() > summary_above)
        print_summary(std::cout, r.workflow, r.order, r.columns);
    else
        print_results(std::cout, r.workflow, r.order, r.columns);
    return exit_of(r);
}

} // namespace

int run_command(const global_options& g, const std::string& file, bool verbose) {
    auto r = follow_workflow(g, read_workflow(file), verbose);
    return report_outcome(g, r, verbose);
}

int watch_command(const global_options& g, const std::string& id, bool verbose) {
    run_outcome out;
    out.id = id;
    auto hub = std::make_unique<hub_connection>(g);
    hub->connect();
    // The view lists the tasks as the hub's table has them.
    auto status = require_ok(hub->ask("query_status", json::object{{"workflow_id", id}}));
    const auto* w = status.if_contains("workflow");
    const auto* tasks = w && w->is_object() ? w->get_object().if_contains("tasks") : nullptr;
    if (tasks && tasks->is_object())
        for (const auto& kv : tasks->get_object())
            out.order.emplace_back(kv.key());
    std::ostream nowhere(nullptr);
    out.columns = terminal_columns();
    progress view(g.json ? nowhere : std::cout, out.order, g.json ? 0 : out.columns, verbose);
    follower f(view);
    f.listen(*hub);
    f.follow(id);
    // Every event so far comes before the reply; then the live ones.
    auto watched = require_ok(hub->ask("watch_workflow", json::object{{"workflow_id", id}}));
    // A workflow that ended where no log was kept sends no end: the table has its state.
    const auto state = string_field(watched, "state");
    const bool over = !view.ended() && state != "running";
    follow_to_outcome(g, hub, f, out, !over);
    if (out.state.empty())
        out.state = string_field(out.workflow, "state");
    return report_outcome(g, out, verbose);
}

} // namespace gleitzeit::cli
