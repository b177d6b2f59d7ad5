#pragma once
// A YAML document read into JSON, with where each value stood, for the workflow files of the
// original Gleitzeit (docs/workflows.md, "YAML"). The parser is yaml-cpp; this adds what it
// leaves to its user: a plain scalar's type (as PyYAML's safe_load, which the original used,
// reads it: yes/no/on/off are booleans), merge keys (<<), and refusals with file:line:column
// for what PyYAML would take silently (a duplicate key) or choke on (a binary file).

#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
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

/// The most values a document of `text_bytes` may become: 16 a byte, and 100,000 whatever its
/// size. Aliases share a node in YAML but are copied into JSON, so nested ones would multiply
/// ("billion laughs": ten lines can make a billion values); without aliases a document makes
/// at most one value per byte or so.
constexpr std::size_t max_yaml_values(std::size_t text_bytes) {
    return std::max<std::size_t>(100'000, 16 * text_bytes);
}

/// Reads `text`; `source` names it in errors, and a document that would become more than
/// max_yaml_values(text.size()) values. Throws workflow_file_error.
yaml_document read_yaml(const std::string& text, const std::string& source);

} // namespace gleitzeit::cli
