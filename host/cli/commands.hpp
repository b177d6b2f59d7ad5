#pragma once
// The commands of `gleitzeit`, one function each; main.cpp maps the command line onto them.
// Each returns the process's exit code or throws command_error.

#include "options.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace gleitzeit::cli {

// Workflows (workflow_commands.cpp, run_command.cpp).
int run_command(const global_options& g, const std::string& file);
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

/// The workflow in `file` (workflow_file.hpp); a refused file is a usage error.
boost::json::object read_workflow(const std::string& file);

/// --json output: `v` as one line of JSON on standard output.
void print_json(const boost::json::value& v);

} // namespace gleitzeit::cli
