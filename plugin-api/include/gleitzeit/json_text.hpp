#pragma once
// JSON as a person reads it: numbers with a fraction as the shortest text that reads back the
// same ("6.23", "0.5"), where Boost.JSON's serializer writes "6.23E0" and "5E-1". Still valid
// JSON. The resolver writes results into text with it (a prompt should not read "6.23E0"), and
// the CLI shows results with it.

#include <boost/json/value.hpp>

#include <string>

namespace gleitzeit {

/// `v` as compact JSON text, numbers written plainly.
std::string json_text(const boost::json::value& v);
/// Appends json_text(v) to `out`.
void append_json_text(std::string& out, const boost::json::value& v);

} // namespace gleitzeit
