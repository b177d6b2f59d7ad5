#pragma once
// A YAML document read into JSON, with where each value stood, for the workflow files of the
// original Gleitzeit (docs/workflows.md, "YAML"). The parser is yaml-cpp; this adds what it
// leaves to its user: a plain scalar's type (as PyYAML's safe_load, which the original used,
// reads it: yes/no/on/off are booleans), merge keys (<<), and refusals with file:line:column
// for what PyYAML would take silently (a duplicate key) or choke on (a binary file).

#include <boost/json/value.hpp>

#include <map>
#include <string>

namespace gleitzeit::cli {

struct yaml_document {
    boost::json::value root;
    /// "line:column" of each value, by its path: "" for the root, then "tasks[0].params.x".
    std::map<std::string, std::string> where;
    /// "line:column" of the key of each map entry, by the entry's path.
    std::map<std::string, std::string> key_where;
    /// The text of each plain scalar read as a number, by its path: "1.0" stays "1.0" where a
    /// string is wanted (a version).
    std::map<std::string, std::string> number_text;
};

/// Reads `text`; `source` names it in errors. Throws workflow_file_error.
yaml_document read_yaml(const std::string& text, const std::string& source);

} // namespace gleitzeit::cli
