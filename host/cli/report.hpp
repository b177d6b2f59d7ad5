#pragma once
// How the commands show a workflow to a person: its tasks' states (status), their results
// or errors (results, and run at the end), and an error as one line.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::cli {

/// The string at `key` of `o`; empty when it is missing or not a string.
std::string string_field(const boost::json::object& o, std::string_view key);

/// "code: message" of an error object ({code, message, ...}); any other value as JSON.
std::string error_text(const boost::json::value& error);

/// The task ids of query_status's `tasks` in the order of `order` (the workflow file's),
/// then any others in the hub's order.
std::vector<std::string> task_order(const boost::json::object& tasks,
                                    const std::vector<std::string>& order = {});

/// "workflow <id> (<name> <version>): <state>", and its description on a line of its own,
/// from query_status's `workflow`.
std::string workflow_line(const boost::json::object& workflow);

/// TASK, STATE, ATTEMPT for each task of query_status's `workflow`.
void print_states(std::ostream& out, const boost::json::object& workflow,
                  const std::vector<std::string>& order, std::size_t columns);
/// TASK, STATE, RESULT: each task's result as JSON, or its error as "code: message".
void print_results(std::ostream& out, const boost::json::object& workflow,
                   const std::vector<std::string>& order, std::size_t columns);

/// A large workflow's results in short: the count of tasks in each final state, each failed
/// task with its error, and the command that shows every result.
void print_summary(std::ostream& out, const boost::json::object& workflow,
                   const std::vector<std::string>& order, std::size_t columns);

/// Above this many tasks, `run` prints print_summary() instead of every result.
constexpr std::size_t summary_above = 25;

} // namespace gleitzeit::cli
