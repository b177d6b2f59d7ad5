#pragma once
// The workflow files of the original Gleitzeit (YAML), turned into the hub's workflow model
// (docs/workflows.md, "The original format"). What differs:
//   - an id may be left out (tasks get task-1, task-2, ... in file order);
//   - `protocol` may be left out: "llm/chat" is protocol llm/v1, method chat, and a method
//     without "/" is python/v1;
//   - priority may be a number (1 high, 2 normal, 3 low); names are read in any case;
//   - timeouts and retry delays are in seconds, and a retry block has the original's
//     defaults (3 attempts, exponential, 1 s, 300 s, jitter on);
//   - dependencies and ${...} may name a task by its name as well as by its id;
//   - ${task.response}, ${task.result...} are the original's references, mapped onto the
//     results of our providers (original_references.cpp).
// An unknown field is a warning with its file:line:column; a wrong type is an error.

#include "yaml_file.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace gleitzeit::cli {

struct converted_workflow {
    boost::json::object workflow; // the submit_workflow payload's `workflow`
    std::vector<std::string> warnings;
};

/// Throws workflow_file_error ("file:line:column: reason").
converted_workflow from_original(const yaml_document& doc, const std::string& source);

} // namespace gleitzeit::cli
