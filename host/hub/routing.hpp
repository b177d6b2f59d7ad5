#pragma once
// The routing fields (docs/architecture.md, "Events"): a request's _correlation_id is kept on
// everything it causes, and what the hub sends on carries _source_component and _timestamp.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace gleitzeit::hub {

/// Adds the routing fields to `payload`; no _correlation_id when `correlation_id` is empty.
void stamp(boost::json::object& payload, const std::string& correlation_id,
           std::string_view source);

/// The _correlation_id a request carried, or "" when it carried none.
std::string correlation_of(const boost::json::value& request);

/// Now in UTC with milliseconds: "2026-11-27T21:00:00.123Z".
std::string timestamp_now();

} // namespace gleitzeit::hub
