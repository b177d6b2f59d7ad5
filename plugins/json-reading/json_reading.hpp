#pragma once
// Reading a value from a provider's config or a call's params, and naming what was sent
// instead, in the words every provider's refusals use ("must be an integer from 1 to 64, got
// a floating-point number"); docs/plugins.md, "Reading config and params".

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace gleitzeit::json_reading {

/// What `v` is, for an error message: "null", "a boolean", "an integer", "a floating-point
/// number", "a string", "an array" or "an object".
std::string kind_of(const boost::json::value& v);

/// `v` if it is an integer in [lo, hi]. A number with a fraction or an exponent (1.5, 5.0, 1e3)
/// is not an integer: Boost.JSON reads it as a double, and truncating it would hide a bug.
std::optional<std::int64_t> integer_in(const boost::json::value& v, std::int64_t lo,
                                       std::int64_t hi);

/// "must be an integer from lo to hi, got X": X is the number for an integer out of range,
/// so that the sender sees which value it sent, and kind_of(v) otherwise.
std::string integer_refusal(const boost::json::value& v, std::int64_t lo, std::int64_t hi);

} // namespace gleitzeit::json_reading
