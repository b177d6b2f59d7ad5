#pragma once
// Result references, as the workflow format writes them (docs/events.md, "Workflows"): a
// string in a task's params may hold "${<task id>.result...}", which the resolver replaces
// with a value of that task's result when it releases the task. Until then the params'
// final types are unknown; the hub does not check the call of such a task at submission.
// The resolver parses and substitutes them; this says only whether a value holds one.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace gleitzeit {

/// True if a string in `v`, at any depth, holds "${".
bool holds_reference(const boost::json::value& v) noexcept;
bool holds_reference(const boost::json::object& o) noexcept;

} // namespace gleitzeit
