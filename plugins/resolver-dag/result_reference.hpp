#pragma once
// ${<task id>.result<path>} references in task params (docs/events.md, "Workflows"), their parsing
// and their substitution. The rules are those of resolver_dag.hpp.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::resolver_dag_detail {

struct path_step {
    bool is_index = false;
    std::string_view field; // when !is_index
    std::size_t index = 0;  // when is_index
};

struct result_reference {
    std::size_t begin = 0; // offset of "${" in the string
    std::size_t end = 0;   // offset just past the closing "}"
    std::string_view task_id;
    std::vector<path_step> path; // after ".result"; empty: the whole result
};

/// A "${<id>.result...}" whose path cannot be read; what() says why, `text` is the whole
/// "${...}", `where` the place in params (set by visit_references).
class malformed_reference : public std::runtime_error {
public:
    malformed_reference(std::string text, const std::string& why, std::string where = {})
        : std::runtime_error(why), text_(std::move(text)), where_(std::move(where)) {}
    const std::string& text() const noexcept { return text_; }
    const std::string& where() const noexcept { return where_; }

private:
    std::string text_;
    std::string where_;
};

/// A reference whose path the named task's result does not have: the task that holds it
/// fails with unresolved_reference instead of running on a null. what() names the reference
/// and what the result has there ("${a.result.items[5]}: result.items of task 'a' has 2
/// elements, no [5]").
class unresolved_reference : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The references in `text`, in order; the views point into `text`. A "${...}" that names no
/// ".result" is not a reference and stays text ("${HOME}"), but "${}" and a "${" without its
/// "}" are refused. Throws malformed_reference.
std::vector<result_reference> parse_references(std::string_view text);

/// The value at `path` inside `result`; nullptr when the path does not exist.
const boost::json::value* follow(const boost::json::value& result,
                                 const std::vector<path_step>& path) noexcept;

/// Called for each reference found in params: the referenced task and where the reference
/// sits ("params.items[2].text").
using reference_visitor = std::function<void(std::string_view task_id, const std::string& where)>;

/// Calls `visit` for every reference in the string values of `params`, at any depth. Object
/// keys are not searched. Throws malformed_reference, and whatever `visit` throws.
/// Returns whether there was any reference.
bool visit_references(const boost::json::object& params, const reference_visitor& visit);

/// The result of a task by id; nullptr when it has none.
using result_lookup = std::function<const boost::json::value*(std::string_view task_id)>;

/// `params` with every reference replaced by the value it names. The references must have
/// been checked by visit_references. Throws unresolved_reference for the first one whose
/// value is missing.
boost::json::object substitute(const boost::json::object& params, const result_lookup& result_of);

} // namespace gleitzeit::resolver_dag_detail
