#pragma once
// Workflow files (docs/cli.md, "Workflow files"): TOML, the native format, JSON, or YAML in
// the original Gleitzeit's format (docs/workflows.md), told apart by the file's extension; "-"
// reads JSON from standard input. The result is the `workflow` object of
// submit_workflow. A file that is not valid TOML or JSON, or that holds a key a workflow does not
// have, is refused here with file:line:column (JSON: file:line:column for syntax, the key's path
// for names), so nothing reaches the hub. The hub checks the values.

#include "sio/protocol/json_depth.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace gleitzeit::cli {

class workflow_file_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    /// The warnings found before the error (a misspelt field may be its cause).
    std::vector<std::string> warnings;
};

/// A workflow file is at most this big: a larger one is refused before it is read.
constexpr std::uintmax_t max_file_bytes = 64u << 20;

/// How deep a workflow may nest, in arrays and objects (the workflow is 1, tasks 2, a task 3,
/// its params 4): the hub reads a message nested at most sio::max_json_depth deep, and
/// submit_workflow's wraps the workflow in two, [event, {workflow: ...}]. A deeper file is
/// refused here with file:line:column, in every format, rather than by the hub, which would
/// close the connection.
constexpr std::size_t max_workflow_depth = sio::max_json_depth - 2;

/// Reads the workflow in `path`; what is worth a warning (an unknown field of a YAML file,
/// with file:line:column) goes to `warnings`. Throws workflow_file_error.
boost::json::object read_workflow_file(const std::string& path,
                                       std::vector<std::string>* warnings = nullptr);

/// Reads a workflow from `text`, JSON or TOML; `source` names it in errors. Throws
/// workflow_file_error.
boost::json::object parse_workflow(const std::string& text, const std::string& source, bool json);

} // namespace gleitzeit::cli
