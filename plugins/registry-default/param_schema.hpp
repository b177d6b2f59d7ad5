#pragma once
// registry-default: a method's parameter schema, compiled once when its protocol registers,
// and the check of a call's params against it.
//
// A method's `params` maps a parameter name to its schema, an object with the keys
//   type        "string" | "number" | "integer" | "boolean" | "object" | "array" | "null" |
//               "any"; absent: "any". "integer" accepts a float with no fraction (3.0), as
//               JSON Schema does; "number" accepts integers.
//   required    bool, default false
//   enum        non-empty array of the allowed values, each of the declared type
//   minimum, maximum          numbers, inclusive; types number and integer only
//   min_length, max_length    integers >= 0, in Unicode code points; type string only
//   pattern     ECMAScript regex (std::regex), searched anywhere in the string as in JSON
//               Schema (anchor it with ^...$ for a whole match); type string only. Strings
//               longer than pattern_limit bytes are refused rather than searched, because
//               libstdc++'s matcher recurses per character and would overflow the stack.
//   items       the schema of every element; type array only
//   properties  name -> schema of a nested object's members; type object only
//   additional  bool, default true: whether members not in `properties` are allowed;
//               type object only
//   description a string for people; ignored
// Any other key is refused, so that a misspelt rule ("maximun") is not silently ignored.
//
// The method level itself is an object schema whose properties are the entries of `params`.
// Its own `additional` flag is the entry "additional" when that entry is a boolean: a
// parameter's schema is always an object, so a parameter named "additional" still works.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gleitzeit::registry_default_detail {

enum class value_type { string, number, integer, boolean, object, array, null, any };

/// Strings longer than this (bytes) are not searched with a pattern; see the header comment.
inline constexpr std::size_t pattern_limit = 8192;

struct param_schema;

struct object_schema {
    std::vector<std::pair<std::string, param_schema>> properties; // in spec order
    bool additional = true;
};

struct param_schema {
    value_type type = value_type::any;
    bool required = false;
    std::vector<boost::json::value> allowed; // "enum"; empty: no restriction
    std::optional<double> minimum;
    std::optional<double> maximum;
    std::optional<std::size_t> min_length;
    std::optional<std::size_t> max_length;
    std::string pattern_text;
    std::optional<std::regex> pattern;
    std::unique_ptr<param_schema> items;
    std::unique_ptr<object_schema> properties; // set for type object with "properties"
};

/// Compiles a method's `params`. Throws error(invalid_argument) with `where` (e.g.
/// "protocol 'echo/v1' method 'delay'") and the parameter's path, e.g.
/// "protocol 'echo/v1' method 'delay': params.ms: unknown schema key 'maximun' (did you mean
/// 'maximum'?)".
object_schema compile_method_params(const boost::json::object& params, std::string_view where);

/// Names the method in messages without building a string until one is needed.
struct call_site {
    std::string_view protocol;
    std::string_view method;
};

/// Checks a call's params. Throws error(invalid_argument) with `where` (as
/// "echo/v1 delay"), the path of the offending value and the rule it breaks, e.g.
/// "echo/v1 delay: params.ms: expected an integer, got string". Allocates only to throw.
void check_method_params(const object_schema& schema, const boost::json::object& params,
                         const call_site& where);

// Shared by the compiler and the checker.
bool fits_type(const boost::json::value& v, value_type t) noexcept;
std::string_view type_name(value_type t) noexcept;
/// A JSON value for a message: numbers in their shortest form (60000, 1.5), strings quoted.
std::string render_json(const boost::json::value& v);

/// Levenshtein distance, for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to `name` within an edit distance of 2 (the first of equals), or
/// empty when none is that close.
std::string_view nearest(std::string_view name, const std::vector<std::string_view>& candidates);

} // namespace gleitzeit::registry_default_detail
