#pragma once
// A tool's inputSchema (JSON Schema, as MCP servers send it) turned into the parameter schema
// of registry-default (plugins/registry-default/param_schema.hpp), so that the registry
// refuses bad arguments when a workflow is submitted instead of the server failing the call.
//
// The mapping, per property:
//   type "string" | "number" | "integer" | "boolean" | "object" | "array" | "null"  -> type
//   a list of types (["string", "null"]), no type, anyOf/oneOf/allOf/$ref/not        -> "any"
//   required: [...] of the enclosing object                                          -> required: true
//   enum (values of the type), const                                                 -> enum
//   minimum, maximum (number, integer)                                               -> minimum, maximum
//   minLength, maxLength (string)                                                    -> min_length, max_length
//   pattern (string; only if std::regex compiles it as ECMAScript)                   -> pattern
//   items (array; a single schema, not a tuple)                                      -> items
//   properties (object)                                                              -> properties
//   additionalProperties: false (object)                                             -> additional: false
//   description (a string)                                                           -> description
// Anything else (format, default, exclusiveMinimum, a tuple of items, patternProperties, a
// schema as additionalProperties) is dropped: the check gets looser, never stricter than the
// server's own, which still checks the call. A rule the registry would refuse (minimum above
// maximum, an enum value not of the type) is dropped too, because one bad tool must not keep
// the registry from taking the whole protocol. Below max_depth levels everything is "any".

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace gleitzeit::provider_mcp_detail {

inline constexpr int max_schema_depth = 16;

/// The `params` of a method_spec for a tool whose inputSchema is `input_schema`: one entry
/// per property, plus "additional": false when the schema says additionalProperties: false.
/// A schema that is not an object with properties gives {} (any params).
boost::json::object method_params(const boost::json::value& input_schema);

/// One property's schema in the registry's format.
boost::json::object param_schema_of(const boost::json::value& schema, bool required,
                                    int depth = 0);

} // namespace gleitzeit::provider_mcp_detail
