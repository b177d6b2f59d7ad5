#pragma once
// The length of a JSON value as text, counted piece by piece without building the text: what
// the hub checks against [server] max_payload before it sends a result or a task's params.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>

namespace gleitzeit::hub {

std::size_t json_size(const boost::json::value& v);
std::size_t json_size(const boost::json::object& o);

} // namespace gleitzeit::hub
