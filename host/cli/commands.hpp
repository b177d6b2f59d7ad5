#pragma once
// The commands of `gleitzeit`, one function each; main.cpp maps the command line onto them.
// Each returns the process's exit code or throws command_error.

#include "options.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace gleitzeit::cli {

// Workflows (workflow_commands.cpp, run_command.cpp).
/// `verbose`: a line per task event on a terminal too, and every result at the end however
/// many tasks there are.
int run_command(const global_options& g, const std::string& file, bool verbose = false);
/// Follows workflow `id`, submitted by anyone, from its first event to its end, as run does.
int watch_command(const global_options& g, const std::string& id, bool verbose = false);
int submit_command(const global_options& g, const std::string& file);
/// Reads FILE as run would; prints the workflow it would send (JSON with --json) and exits 0,
/// or the reason it is refused. Needs no hub.
int validate_command(const global_options& g, const std::string& file);
int status_command(const global_options& g, const std::string& workflow_id);
int results_command(const global_options& g, const std::string& workflow_id);
int cancel_command(const global_options& g, const std::string& workflow_id);

// The hub and its plugins (admin_commands.cpp).
int components_command(const global_options& g);
int plugins_command(const global_options& g);
int swap_command(const global_options& g, const std::string& slot, const std::string& path);
int reload_command(const global_options& g);

// Workflows made from the command line (workflow_shortcuts.cpp).
/// Runs `code` as python/v1 execute; prints what it printed and its result.
int exec_command(const global_options& g, const std::string& code, double timeout_s);
/// Writes a starter workflow file NAME.yaml of `type` (python, llm or mixed).
int init_command(const std::string& name, const std::string& type);
struct batch_options {
    std::string directory, pattern = "*", prompt = "Analyze this file", model, output;
    bool vision = false;
};
/// One LLM call per matching file of a directory; the answers, optionally into a file.
int batch_command(const global_options& g, const batch_options& b);

/// What following a workflow to its end gave (run_command.cpp).
struct run_outcome {
    std::string id;
    std::string state;
    boost::json::object end;      // workflow_completed's (or _failed's, ...) payload
    boost::json::object workflow; // query_status's workflow
    std::vector<std::string> order; // task ids as submitted
    std::size_t columns = 0;
    bool completed() const { return state == "completed"; }
};
/// Submits `workflow` and shows its progress until it ends (not with --json or `quiet`).
run_outcome follow_workflow(const global_options& g, boost::json::object workflow, bool verbose,
                            bool quiet = false);
/// --json's document for a followed workflow; takes its results and workflow.
void print_outcome_json(run_outcome& r);
/// 0 if the workflow completed; else throws command_error (exit 1) with its state and reason.
int exit_of(const run_outcome& r);

class hub_connection;
/// query_status of workflow `workflow_id` with every result: results the hub left out for
/// their size together (docs/events.md, query_status) are asked for one task at a time.
boost::json::object query_with_results(hub_connection& hub, const std::string& workflow_id);

/// The workflow in `file` (workflow_file.hpp); a refused file is a usage error.
boost::json::object read_workflow(const std::string& file);

/// --json output: `v` as one line of JSON on standard output.
void print_json(const boost::json::value& v);

} // namespace gleitzeit::cli
