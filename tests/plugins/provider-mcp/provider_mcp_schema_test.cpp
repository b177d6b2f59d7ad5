// A tool's inputSchema in the registry's parameter schema: the conversion table, case by case
// with its exact output, and each output accepted by registry-default's own compiler, which
// then refuses bad arguments the way a submit would.

#include "tool_schema.hpp"

#include "param_schema.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

namespace json = boost::json;
namespace reg = gleitzeit::registry_default_detail;
using gleitzeit::provider_mcp_detail::method_params;

namespace {

/// The registry's verdict on `params` for a method whose params are `spec`: "" when they pass.
std::string check(const json::object& spec, const std::string& params) {
    const reg::object_schema compiled = reg::compile_method_params(spec, "protocol 'mcp/v1' method 't'");
    try {
        reg::check_method_params(compiled, json::parse(params).as_object(), {"mcp/v1", "tool.t"});
    } catch (const gleitzeit::error& e) {
        return e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_mcp)

BOOST_AUTO_TEST_CASE(schema_conversion_table) {
    // {inputSchema, the method's params}
    const std::vector<std::pair<std::string, std::string>> table{
        // server-everything's echo, as it lists it.
        {R"({"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
             "properties":{"message":{"type":"string","description":"Message to echo"}},
             "required":["message"]})",
         R"({"message":{"type":"string","required":true,"description":"Message to echo"}})"},
        // Numbers: bounds kept, exclusive bounds and defaults dropped.
        {R"({"type":"object","properties":{
             "a":{"type":"number","minimum":0,"maximum":1.5,"default":1},
             "n":{"type":"integer","exclusiveMinimum":0,"maximum":10}},"required":["n"]})",
         R"({"a":{"type":"number","minimum":0,"maximum":1.5},
             "n":{"type":"integer","required":true,"maximum":10}})"},
        // An unsatisfiable range would make the registry refuse the protocol: dropped.
        {R"({"type":"object","properties":{"x":{"type":"integer","minimum":5,"maximum":1}}})",
         R"({"x":{"type":"integer"}})"},
        // Strings: lengths and a pattern std::regex compiles; format dropped.
        {R"({"type":"object","properties":{
             "s":{"type":"string","minLength":1,"maxLength":8,"pattern":"^[a-z]+$","format":"uri"}}})",
         R"({"s":{"type":"string","min_length":1,"max_length":8,"pattern":"^[a-z]+$"}})"},
        // A pattern in JSON Schema's dialect that std::regex lacks, bad lengths: dropped.
        {R"({"type":"object","properties":{
             "s":{"type":"string","pattern":"^\\p{L}+$","minLength":-1,"maxLength":"3"}}})",
         R"({"s":{"type":"string"}})"},
        // enum and const; an enum with a value not of the type is dropped.
        {R"({"type":"object","properties":{
             "e":{"type":"string","enum":["a","b"]},
             "c":{"type":"integer","const":3},
             "m":{"type":"string","enum":["a",1]}}})",
         R"({"e":{"type":"string","enum":["a","b"]},"c":{"type":"integer","enum":[3]},
             "m":{"type":"string"}})"},
        // Arrays: a single items schema is kept, a tuple is dropped.
        {R"({"type":"object","properties":{
             "l":{"type":"array","items":{"type":"integer","minimum":0}},
             "t":{"type":"array","items":[{"type":"string"}]}}})",
         R"({"l":{"type":"array","items":{"type":"integer","minimum":0}},"t":{"type":"array"}})"},
        // Nested objects with their own required and additionalProperties.
        {R"({"type":"object","properties":{"o":{"type":"object",
             "properties":{"k":{"type":"boolean"},"v":{"type":"null"}},"required":["k"],
             "additionalProperties":false}}})",
         R"({"o":{"type":"object","properties":{"k":{"type":"boolean","required":true},
             "v":{"type":"null"}},"additional":false}})"},
        // What one type does not describe is "any", with its description kept.
        {R"({"type":"object","properties":{
             "u":{"type":["string","null"],"description":"maybe"},
             "a":{"anyOf":[{"type":"string"},{"type":"number"}]},
             "r":{"$ref":"#/$defs/x","type":"string"},
             "n":{},
             "b":true,
             "w":{"type":"date"}},"required":["b"]})",
         R"({"u":{"type":"any","description":"maybe"},"a":{"type":"any"},"r":{"type":"any"},
             "n":{"type":"any"},"b":{"type":"any","required":true},"w":{"type":"any"}})"},
        // The method's own flag; a parameter named "additional" keeps its place.
        {R"({"type":"object","properties":{"q":{"type":"string"}},"additionalProperties":false})",
         R"({"q":{"type":"string"},"additional":false})"},
        {R"({"type":"object","properties":{"additional":{"type":"string"}},
             "additionalProperties":false})",
         R"({"additional":{"type":"string"}})"},
        // A schema as additionalProperties allows more members: no flag.
        {R"({"type":"object","properties":{"q":{"type":"string"}},"additionalProperties":{"type":"string"}})",
         R"({"q":{"type":"string"}})"},
        // No properties, or no schema at all: any params.
        {R"({"type":"object"})", R"({})"},
        {R"("nonsense")", R"({})"},
    };
    for (const auto& [input, expected] : table) {
        const json::object got = method_params(json::parse(input));
        BOOST_TEST(json::value(got) == json::parse(expected),
                   input << "\n  gave " << json::serialize(got));
        // The registry takes every output as it is.
        BOOST_CHECK_NO_THROW(reg::compile_method_params(got, "protocol 'mcp/v1' method 't'"));
    }
}

BOOST_AUTO_TEST_CASE(schema_below_the_depth_limit_is_any) {
    json::value deep = json::parse(R"({"type":"string"})");
    for (int i = 0; i < 40; ++i)
        deep = json::object{{"type", "array"}, {"items", deep}};
    const json::object p = gleitzeit::provider_mcp_detail::param_schema_of(deep, false);
    const json::value* at = &p.at("items");
    int levels = 1;
    while (at->as_object().contains("items")) {
        at = &at->as_object().at("items");
        ++levels;
    }
    BOOST_TEST(levels == gleitzeit::provider_mcp_detail::max_schema_depth);
    BOOST_TEST(json::serialize(*at) == R"({"type":"any"})");
}

BOOST_AUTO_TEST_CASE(schema_converted_makes_the_registry_refuse_bad_arguments) {
    // server-everything's get-sum.
    const json::object sum = method_params(json::parse(
        R"({"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},
            "required":["a","b"]})"));
    BOOST_TEST(check(sum, R"({"a":1,"b":2.5})") == "");
    BOOST_TEST(check(sum, R"({"a":"1","b":2})") == "mcp/v1 tool.t: params.a: expected a number, got string");
    BOOST_TEST(check(sum, R"({"a":1})") == "mcp/v1 tool.t: params.b: required parameter is missing");

    const json::object strict = method_params(json::parse(
        R"({"type":"object","properties":{"s":{"type":"string","pattern":"^[a-z]+$"}},
            "additionalProperties":false})"));
    BOOST_TEST(check(strict, R"({"s":"abc"})") == "");
    BOOST_TEST(check(strict, R"({"s":"ABC"})") ==
               "mcp/v1 tool.t: params.s: 'ABC' does not match the pattern '^[a-z]+$'");
    BOOST_TEST(check(strict, R"({"x":1})") ==
               "mcp/v1 tool.t: params.x: unknown parameter (the method allows only: s)");
}

BOOST_AUTO_TEST_SUITE_END()
