// registry-default: parameter schemas (each rule accepting and refusing), spec checks,
// unknown protocols and methods, provider choice, and the state carried across a swap.

#include "registry_default.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace gleitzeit;
namespace json = boost::json;

namespace {

using strings = std::vector<std::string>;

struct refusal {
    error_code code = error_code::internal;
    std::string message = "(nothing was thrown)";
};

template <class F> refusal refused(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const error& e) {
        return {e.code(), e.what()};
    }
    return {};
}

json::object obj(std::string_view text) {
    return json::parse(text).as_object();
}

protocol_spec spec_with(std::string id, std::string method, std::string_view params) {
    return protocol_spec{std::move(id), "", {method_spec{std::move(method), "", obj(params)}}};
}

// A registry with echo/v1 whose method "m" has `params`.
// (Behind a pointer: a plugin instance is neither copied nor moved.)
std::unique_ptr<registry_default> with_method(std::string_view params) {
    auto r = std::make_unique<registry_default>(json::object{});
    r->register_protocol(spec_with("echo/v1", "m", params));
    return r;
}

// The message validate_call gives for `params`, or "ok".
std::string check(const registry_default& r, std::string_view params) {
    auto e = refused([&] { r.validate_call("echo/v1", "m", obj(params)); });
    if (e.code == error_code::internal)
        return "ok";
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(error_code::invalid_argument));
    return e.message;
}
std::string check(const std::unique_ptr<registry_default>& r, std::string_view params) {
    return check(*r, params);
}

// The message register_protocol gives for a method "m" with `params`.
std::string bad_spec(std::string_view params) {
    registry_default r({});
    auto e = refused([&] { r.register_protocol(spec_with("echo/v1", "m", params)); });
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(error_code::invalid_argument));
    return e.message;
}

provider_info provider(std::string id, strings protocols, std::size_t max_concurrency) {
    return provider_info{std::move(id), std::move(protocols), max_concurrency};
}

strings choose(registry_default& r, const std::string& protocol, int n, bool track) {
    strings out;
    for (int i = 0; i < n; ++i) {
        auto p = r.find_provider(protocol);
        out.push_back(p ? *p : "-");
        if (p && track)
            r.track_load(*p, +1);
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(registry_default_suite)

BOOST_AUTO_TEST_CASE(each_type_accepts_its_values_and_refuses_others) {
    const auto r = with_method(R"({"s": {"type": "string"}, "n": {"type": "number"},
        "i": {"type": "integer"}, "b": {"type": "boolean"}, "o": {"type": "object"},
        "a": {"type": "array"}, "z": {"type": "null"}, "x": {"type": "any"}, "u": {}})");
    BOOST_TEST(check(r, R"({"s": "", "n": 1.5, "i": 3, "b": false, "o": {}, "a": [],
        "z": null, "x": [1], "u": {"k": 1}})") == "ok");
    BOOST_TEST(check(r, R"({"n": 2, "i": 3.0, "x": null})") == "ok");
    BOOST_TEST(check(r, R"({"s": 1})") == "echo/v1 m: params.s: expected a string, got number");
    BOOST_TEST(check(r, R"({"n": "1"})") == "echo/v1 m: params.n: expected a number, got string");
    BOOST_TEST(check(r, R"({"i": 1.5})") == "echo/v1 m: params.i: expected an integer, got number");
    BOOST_TEST(check(r, R"({"i": "1"})") == "echo/v1 m: params.i: expected an integer, got string");
    BOOST_TEST(check(r, R"({"b": 0})") == "echo/v1 m: params.b: expected a boolean, got number");
    BOOST_TEST(check(r, R"({"o": []})") == "echo/v1 m: params.o: expected an object, got array");
    BOOST_TEST(check(r, R"({"a": {}})") == "echo/v1 m: params.a: expected an array, got object");
    BOOST_TEST(check(r, R"({"z": true})") == "echo/v1 m: params.z: expected null, got boolean");
    BOOST_TEST(check(r, R"({"s": null})") == "echo/v1 m: params.s: expected a string, got null");
}

BOOST_AUTO_TEST_CASE(required_and_optional_parameters) {
    const auto r = with_method(
        R"({"name": {"type": "string", "required": true}, "note": {"type": "string"}})");
    BOOST_TEST(check(r, R"({"name": "a"})") == "ok");
    BOOST_TEST(check(r, R"({"note": "a"})") ==
               "echo/v1 m: params.name: required parameter is missing");
    BOOST_TEST(check(r, R"({})") == "echo/v1 m: params.name: required parameter is missing");
}

BOOST_AUTO_TEST_CASE(enum_accepts_listed_values_only) {
    const auto r = with_method(
        R"({"mode": {"type": "string", "enum": ["a", "b"]}, "n": {"enum": [1, 2.5, null]}})");
    BOOST_TEST(check(r, R"({"mode": "b", "n": 2.5})") == "ok");
    BOOST_TEST(check(r, R"({"n": 1.0})") == "ok"); // 1 and 1.0 are one JSON number
    BOOST_TEST(check(r, R"({"n": null})") == "ok");
    BOOST_TEST(check(r, R"({"mode": "x"})") ==
               R"(echo/v1 m: params.mode: 'x' is not one of ["a", "b"])");
    BOOST_TEST(check(r, R"({"n": 3})") == "echo/v1 m: params.n: 3 is not one of [1, 2.5, null]");
}

BOOST_AUTO_TEST_CASE(minimum_and_maximum_are_inclusive) {
    const auto r = with_method(R"({"ms": {"type": "integer", "minimum": 0, "maximum": 60000},
        "f": {"type": "number", "minimum": -1.5, "maximum": 0.25}})");
    BOOST_TEST(check(r, R"({"ms": 0, "f": -1.5})") == "ok");
    BOOST_TEST(check(r, R"({"ms": 60000, "f": 0.25})") == "ok");
    BOOST_TEST(check(r, R"({"ms": 70000})") ==
               "echo/v1 m: params.ms: 70000 is above the maximum 60000");
    BOOST_TEST(check(r, R"({"ms": -1})") == "echo/v1 m: params.ms: -1 is below the minimum 0");
    BOOST_TEST(check(r, R"({"f": -1.75})") ==
               "echo/v1 m: params.f: -1.75 is below the minimum -1.5");
    BOOST_TEST(check(r, R"({"f": 0.5})") == "echo/v1 m: params.f: 0.5 is above the maximum 0.25");
}

BOOST_AUTO_TEST_CASE(string_lengths_count_code_points) {
    const auto r = with_method(R"({"s": {"type": "string", "min_length": 2, "max_length": 3}})");
    BOOST_TEST(check(r, R"({"s": "ab"})") == "ok");
    BOOST_TEST(check(r, "{\"s\": \"\xC3\xA4\xC3\xB6\xC3\xBC\"}") == "ok"); // 3 letters, 6 bytes
    BOOST_TEST(check(r, R"({"s": "a"})") ==
               "echo/v1 m: params.s: 'a' is shorter than the minimum length 2");
    BOOST_TEST(check(r, R"({"s": "abcd"})") ==
               "echo/v1 m: params.s: 'abcd' is longer than the maximum length 3");
}

BOOST_AUTO_TEST_CASE(pattern_is_searched_like_json_schema) {
    const auto r = with_method(
        R"({"id": {"type": "string", "pattern": "^[a-z]+$"}, "has": {"pattern": "x\\d", "type": "string"}})");
    BOOST_TEST(check(r, R"({"id": "abc", "has": "..x1.."})") == "ok");
    BOOST_TEST(check(r, R"({"id": "Abc"})") ==
               "echo/v1 m: params.id: 'Abc' does not match the pattern '^[a-z]+$'");
    BOOST_TEST(check(r, R"({"has": "xx"})") ==
               "echo/v1 m: params.has: 'xx' does not match the pattern 'x\\d'");
    // A long value is quoted cut short; one beyond the limit is not searched at all.
    const std::string long70(70, 'A');
    BOOST_TEST(check(r, "{\"id\": \"" + long70 + "\"}") ==
               "echo/v1 m: params.id: '" + std::string(64, 'A') +
                   "...' does not match the pattern '^[a-z]+$'");
    const std::string huge(registry_default_detail::pattern_limit + 1, 'a');
    BOOST_TEST(check(r, "{\"id\": \"" + huge + "\"}") ==
               "echo/v1 m: params.id: 8193 bytes are too long to check against the pattern "
               "(limit 8192)");
}

BOOST_AUTO_TEST_CASE(items_and_nested_properties_name_the_path) {
    const auto r = with_method(R"({
        "tags": {"type": "array", "items": {"type": "string"}},
        "opts": {"type": "object", "properties": {
            "level": {"type": "integer", "required": true, "maximum": 9},
            "points": {"type": "array", "items": {"type": "object",
                "properties": {"x": {"type": "number", "required": true}}}}}}})");
    BOOST_TEST(check(r, R"({"tags": ["a", "b"], "opts": {"level": 9, "points": [{"x": 1}],
        "other": true}})") == "ok");
    BOOST_TEST(check(r, R"({"tags": ["a", "b", 3]})") ==
               "echo/v1 m: params.tags[2]: expected a string, got number");
    BOOST_TEST(check(r, R"({"opts": {}})") ==
               "echo/v1 m: params.opts.level: required parameter is missing");
    BOOST_TEST(check(r, R"({"opts": {"level": 10}})") ==
               "echo/v1 m: params.opts.level: 10 is above the maximum 9");
    BOOST_TEST(check(r, R"({"opts": {"level": 1, "points": [{"x": 1}, {"y": 2}]}})") ==
               "echo/v1 m: params.opts.points[1].x: required parameter is missing");
}

BOOST_AUTO_TEST_CASE(additional_false_refuses_unknown_parameters) {
    const auto r = with_method(R"({"ms": {"type": "integer"}, "additional": false,
        "opts": {"type": "object", "additional": false,
                 "properties": {"a": {}, "b": {}}},
        "empty": {"type": "object", "additional": false}})");
    BOOST_TEST(check(r, R"({"ms": 1, "opts": {"a": 1, "b": 2}, "empty": {}})") == "ok");
    BOOST_TEST(check(r, R"({"ms": 1, "extra": 2})") ==
               "echo/v1 m: params.extra: unknown parameter (the method allows only: ms, opts, "
               "empty)");
    BOOST_TEST(check(r, R"({"opts": {"c": 1}})") ==
               "echo/v1 m: params.opts.c: unknown parameter (params.opts allows only: a, b)");
    BOOST_TEST(check(r, R"({"empty": {"c": 1}})") ==
               "echo/v1 m: params.empty.c: unknown parameter (params.empty allows none)");
    // An unknown name is reported before the required one it may be a typo of.
    const auto typo = with_method(R"({"name": {"required": true}, "additional": false})");
    BOOST_TEST(check(typo, R"({"nmae": 1})") ==
               "echo/v1 m: params.nmae: unknown parameter (the method allows only: name)");
    const auto none = with_method(R"({"additional": false})");
    BOOST_TEST(check(none, R"({})") == "ok");
    BOOST_TEST(check(none, R"({"a": 1})") ==
               "echo/v1 m: params.a: unknown parameter (the method takes no parameters)");
    // By default other parameters pass, and a parameter may be called "additional".
    const auto open = with_method(R"({"additional": {"type": "integer"}})");
    BOOST_TEST(check(open, R"({"other": "x", "additional": 1})") == "ok");
    BOOST_TEST(check(open, R"({"additional": "x"})") ==
               "echo/v1 m: params.additional: expected an integer, got string");
}

BOOST_AUTO_TEST_CASE(malformed_schemas_are_refused_with_method_and_parameter) {
    const std::string at = "protocol 'echo/v1' method 'm': ";
    BOOST_TEST(bad_spec(R"({"ms": {"maximun": 3}})") ==
               at + "params.ms: unknown schema key 'maximun' (did you mean 'maximum'?)");
    BOOST_TEST(bad_spec(R"({"ms": {"format": "x"}})") ==
               at + "params.ms: unknown schema key 'format' (known: type, required, enum, "
                    "minimum, maximum, min_length, max_length, pattern, items, properties, "
                    "additional, description)");
    BOOST_TEST(bad_spec(R"({"ms": 5})") == at + "params.ms: the schema is not an object");
    BOOST_TEST(bad_spec(R"({"ms": {"type": "int"}})") ==
               at + "params.ms: unknown type 'int' (known: string, number, integer, boolean, "
                    "object, array, null, any)");
    BOOST_TEST(bad_spec(R"({"ms": {"type": 1}})") == at + "params.ms: 'type' is not a string");
    BOOST_TEST(bad_spec(R"({"ms": {"required": "yes"}})") ==
               at + "params.ms: 'required' is not a boolean");
    BOOST_TEST(bad_spec(R"({"ms": {"type": "string", "maximum": 3}})") ==
               at + "params.ms: 'maximum' applies only to type number or integer (the type is "
                    "string)");
    BOOST_TEST(bad_spec(R"({"ms": {"max_length": 3}})") ==
               at + "params.ms: 'max_length' applies only to type string (the type is any)");
    BOOST_TEST(bad_spec(R"({"ms": {"type": "integer", "minimum": 5, "maximum": 3}})") ==
               at + "params.ms: minimum 5 is above maximum 3");
    BOOST_TEST(bad_spec(R"({"s": {"type": "string", "min_length": -1}})") ==
               at + "params.s: 'min_length' is not an integer >= 0");
    BOOST_TEST(bad_spec(R"({"s": {"type": "string", "min_length": 4, "max_length": 3}})") ==
               at + "params.s: min_length 4 is above max_length 3");
    BOOST_TEST(bad_spec(R"({"s": {"type": "string", "pattern": "(a"}})") ==
               at + "params.s: pattern '(a' does not compile: unbalanced parentheses");
    BOOST_TEST(bad_spec(R"({"s": {"type": "string", "pattern": 1}})") ==
               at + "params.s: 'pattern' is not a string");
    BOOST_TEST(bad_spec(R"({"s": {"type": "string", "enum": []}})") ==
               at + "params.s: 'enum' is not a non-empty array");
    BOOST_TEST(bad_spec(R"({"s": {"type": "string", "enum": ["a", 3]}})") ==
               at + "params.s: enum value 3 is not of type string");
    BOOST_TEST(bad_spec(R"({"t": {"type": "array", "items": {"type": "strin"}}})") ==
               at + "params.t[]: unknown type 'strin' (known: string, number, integer, boolean, "
                    "object, array, null, any)");
    BOOST_TEST(bad_spec(R"({"o": {"type": "object", "properties": {"a": {"minimum": "1"}}}})") ==
               at + "params.o.a: 'minimum' applies only to type number or integer (the type is "
                    "any)");
    BOOST_TEST(bad_spec(R"({"o": {"type": "object", "properties": []}})") ==
               at + "params.o: 'properties' is not an object");
    BOOST_TEST(bad_spec(R"({"o": {"type": "object", "additional": 0}})") ==
               at + "params.o: 'additional' is not a boolean");
}

BOOST_AUTO_TEST_CASE(malformed_protocols_are_refused_and_change_nothing) {
    registry_default r({});
    r.register_protocol(spec_with("echo/v1", "echo", "{}"));
    auto refuse = [&](const protocol_spec& s) {
        auto e = refused([&] { r.register_protocol(s); });
        BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(error_code::invalid_argument));
        return e.message;
    };
    for (const char* id : {"echo", "echo/1", "/v1", "echo/v", "echo/v1x", "ec ho/v1", ""})
        BOOST_TEST(refuse(spec_with(id, "m", "{}")) ==
                   "protocol id '" + std::string(id) +
                       "' is not of the form name/vN (e.g. echo/v1)");
    BOOST_TEST(refuse(protocol_spec{"echo/v1", "", {{"a", "", {}}, {"", "", {}}}}) ==
               "protocol 'echo/v1' method 1 has an empty name");
    BOOST_TEST(refuse(protocol_spec{"echo/v1", "", {{"a", "", {}}, {"a", "", {}}}}) ==
               "protocol 'echo/v1' declares method 'a' twice");
    BOOST_TEST(refuse(spec_with("echo/v1", "echo", R"({"x": {"type": "nope"}})"))
                   .starts_with("protocol 'echo/v1' method 'echo': params.x: unknown type 'nope'"));
    // The refused replacement left the old spec in place.
    BOOST_TEST(r.find_protocol("echo/v1")->methods.size() == 1u);
    BOOST_TEST(r.find_protocol("echo/v1")->methods[0].params.empty());
    BOOST_TEST(!r.find_protocol("echo").has_value());
    r.validate_call("echo/v1", "echo", obj(R"({"anything": 1})"));
}

BOOST_AUTO_TEST_CASE(registering_again_keeps_or_replaces_the_spec) {
    registry_default r({});
    const auto v1 = spec_with("echo/v1", "m", R"({"ms": {"type": "integer"}})");
    r.register_protocol(v1);
    r.register_protocol(v1);
    BOOST_TEST(check(r, R"({"ms": "x"})") ==
               "echo/v1 m: params.ms: expected an integer, got string");
    r.register_protocol(spec_with("echo/v1", "m", R"({"ms": {"type": "string"}})"));
    BOOST_TEST(check(r, R"({"ms": "x"})") == "ok");
    BOOST_TEST(check(r, R"({"ms": 1})") == "echo/v1 m: params.ms: expected a string, got number");
    BOOST_TEST(
        json::serialize(json::value_from(*r.find_protocol("echo/v1"))) ==
        R"({"id":"echo/v1","description":"","methods":[{"name":"m","description":"","params":{"ms":{"type":"string"}}}]})");
}

BOOST_AUTO_TEST_CASE(unknown_protocol_names_the_known_versions_of_its_family) {
    registry_default r({});
    r.register_protocol(spec_with("echo/v1", "echo", "{}"));
    r.register_protocol(spec_with("echo/v3", "echo", "{}"));
    r.register_protocol(spec_with("echoes/v1", "echo", "{}"));
    r.register_protocol(spec_with("llm/v1", "chat", "{}"));
    auto e = refused([&] { r.validate_call("echo/v9", "echo", {}); });
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(error_code::not_found));
    BOOST_TEST(e.message == "unknown protocol 'echo/v9' (known: echo/v1, echo/v3)");
    e = refused([&] { r.validate_call("llm/v2", "chat", {}); });
    BOOST_TEST(e.message == "unknown protocol 'llm/v2' (known: llm/v1)");
    e = refused([&] { r.validate_call("image/v1", "draw", {}); });
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(error_code::not_found));
    BOOST_TEST(e.message == "unknown protocol 'image/v1'");
    e = refused([&] { r.validate_call("echo", "echo", {}); });
    BOOST_TEST(e.message == "unknown protocol 'echo'");
}

BOOST_AUTO_TEST_CASE(unknown_method_suggests_the_nearest_name) {
    registry_default r({});
    r.register_protocol(
        protocol_spec{"echo/v1", "", {{"echo", "", {}}, {"delay", "", {}}, {"fail", "", {}}}});
    auto e = refused([&] { r.validate_call("echo/v1", "ech", {}); });
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(error_code::not_found));
    BOOST_TEST(e.message == "protocol 'echo/v1' has no method 'ech' (did you mean 'echo'?)");
    e = refused([&] { r.validate_call("echo/v1", "dleay", {}); });
    BOOST_TEST(e.message == "protocol 'echo/v1' has no method 'dleay' (did you mean 'delay'?)");
    e = refused([&] { r.validate_call("echo/v1", "sleep", {}); });
    BOOST_TEST(e.message == "protocol 'echo/v1' has no method 'sleep' (it has: echo, delay, fail)");
    BOOST_TEST(registry_default_detail::edit_distance("kitten", "sitting") == 3u);
    BOOST_TEST(registry_default_detail::edit_distance("", "abc") == 3u);
}

BOOST_AUTO_TEST_CASE(least_loaded_first_then_round_robin) {
    registry_default r({});
    r.register_provider(provider("a", {"echo/v1"}, 10));
    r.register_provider(provider("b", {"echo/v1"}, 10));
    r.register_provider(provider("c", {"echo/v1", "llm/v1"}, 10));
    // Equal loads and no tracking: the three take turns.
    BOOST_TEST(choose(r, "echo/v1", 6, false) == (strings{"a", "b", "c", "a", "b", "c"}),
               boost::test_tools::per_element());
    // With tracking, each turn goes to the least loaded; equals alternate.
    BOOST_TEST(choose(r, "echo/v1", 6, true) == (strings{"a", "b", "c", "a", "b", "c"}),
               boost::test_tools::per_element());
    r.track_load("a", -2);
    r.track_load("c", -1); // loads a 0, b 2, c 1
    // a (0); then a and c tie at 1 and the turn after a is c's; a (1); then all are at 2
    // and the turn after a is b's.
    BOOST_TEST(choose(r, "echo/v1", 4, true) == (strings{"a", "c", "a", "b"}),
               boost::test_tools::per_element());
    BOOST_TEST(*r.load_of("a") == 2u);
    BOOST_TEST(*r.load_of("b") == 3u);
    BOOST_TEST(*r.load_of("c") == 2u);
    // The protocols keep their own rotation: c is llm/v1's only provider.
    BOOST_TEST(choose(r, "llm/v1", 2, false) == (strings{"c", "c"}),
               boost::test_tools::per_element());
    BOOST_TEST(!r.find_provider("none/v1").has_value());
}

BOOST_AUTO_TEST_CASE(full_providers_are_skipped_until_a_call_ends) {
    registry_default r({});
    r.register_provider(provider("small", {"echo/v1"}, 1));
    r.register_provider(provider("big", {"echo/v1"}, 3));
    BOOST_TEST(choose(r, "echo/v1", 5, true) == (strings{"small", "big", "big", "big", "-"}),
               boost::test_tools::per_element());
    r.track_load("small", -1);
    BOOST_TEST(choose(r, "echo/v1", 2, true) == (strings{"small", "-"}),
               boost::test_tools::per_element());
    // Load never goes below zero, and an unknown provider is ignored.
    r.track_load("big", -10);
    r.track_load("gone", +1);
    BOOST_TEST(*r.load_of("big") == 0u);
    BOOST_TEST(!r.load_of("gone").has_value());
    BOOST_TEST(choose(r, "echo/v1", 4, true) == (strings{"big", "big", "big", "-"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unregistered_providers_are_not_chosen) {
    registry_default r({});
    for (const char* id : {"a", "b", "c"})
        r.register_provider(provider(id, {"echo/v1"}, 5));
    BOOST_TEST(choose(r, "echo/v1", 2, false) == (strings{"a", "b"}),
               boost::test_tools::per_element());
    r.unregister_provider("b");
    r.unregister_provider("nobody");
    BOOST_TEST(choose(r, "echo/v1", 3, false) == (strings{"c", "a", "c"}),
               boost::test_tools::per_element());
    r.unregister_provider("a");
    r.unregister_provider("c");
    BOOST_TEST(!r.find_provider("echo/v1").has_value());
    BOOST_TEST(!r.load_of("a").has_value());
    // Registering again updates protocols and capacity but keeps the calls in flight.
    r.register_provider(provider("d", {"echo/v1"}, 2));
    r.track_load("d", +2);
    BOOST_TEST(!r.find_provider("echo/v1").has_value());
    r.register_provider(provider("d", {"echo/v1", "echo/v1", "llm/v1"}, 3));
    BOOST_TEST(*r.load_of("d") == 2u);
    BOOST_TEST(choose(r, "echo/v1", 2, true) == (strings{"d", "-"}),
               boost::test_tools::per_element());
    BOOST_TEST(choose(r, "llm/v1", 1, false) == (strings{"-"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_providers_and_config_are_refused) {
    registry_default r({});
    auto e = refused([&] { r.register_provider(provider("", {"echo/v1"}, 1)); });
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(error_code::invalid_argument));
    BOOST_TEST(e.message == "the provider id is empty");
    e = refused([&] { r.register_provider(provider("p", {"echo/v1"}, 0)); });
    BOOST_TEST(e.message == "provider 'p' has max_concurrency 0");
    e = refused([&] { r.register_provider(provider("p", {"echo/v1", ""}, 1)); });
    BOOST_TEST(e.message == "provider 'p' lists an empty protocol");
    BOOST_TEST(!r.load_of("p").has_value());
    e = refused([] { registry_default bad(obj(R"({"size": 1})")); });
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(error_code::invalid_argument));
    BOOST_TEST(e.message == "registry-default: unknown config key 'size'");
}

BOOST_AUTO_TEST_CASE(state_round_trip_keeps_specs_providers_and_load) {
    registry_default old({});
    old.register_protocol(
        spec_with("echo/v1", "delay",
                  R"({"ms": {"type": "integer", "maximum": 60000}, "additional": false})"));
    old.register_protocol(spec_with("a/v2", "m", R"({"s": {"type": "string", "pattern": "^x"}})"));
    old.register_provider(provider("p2", {"echo/v1"}, 4));
    old.register_provider(provider("p1", {"echo/v1", "a/v2"}, 2));
    old.track_load("p2", +3);
    old.track_load("p1", +1);

    BOOST_TEST(old.state_formats() == strings{"registry/1"}, boost::test_tools::per_element());
    const auto state = old.export_state({"registry/9", "registry/1"});
    BOOST_TEST(
        json::serialize(state) ==
        R"({"format":"registry/1","protocols":[)"
        R"({"id":"a/v2","description":"","methods":[{"name":"m","description":"","params":{"s":{"type":"string","pattern":"^x"}}}]},)"
        R"({"id":"echo/v1","description":"","methods":[{"name":"delay","description":"","params":{"ms":{"type":"integer","maximum":60000},"additional":false}}]}],)"
        R"("providers":[{"id":"p2","protocols":["echo/v1"],"max_concurrency":4,"load":3},)"
        R"({"id":"p1","protocols":["echo/v1","a/v2"],"max_concurrency":2,"load":1}]})");

    registry_default next({});
    next.import_state(state);
    BOOST_TEST(json::serialize(next.export_state({"registry/1"})) == json::serialize(state));
    // The imported schemas are compiled: rules and patterns work.
    auto e = refused([&] { next.validate_call("echo/v1", "delay", obj(R"({"ms": 70000})")); });
    BOOST_TEST(e.message == "echo/v1 delay: params.ms: 70000 is above the maximum 60000");
    e = refused([&] { next.validate_call("a/v2", "m", obj(R"({"s": "y"})")); });
    BOOST_TEST(e.message == "a/v2 m: params.s: 'y' does not match the pattern '^x'");
    // The loads came along: p1 (1 of 2) before p2 (3 of 4), then both are full... in turn.
    BOOST_TEST(choose(next, "echo/v1", 4, true) == (strings{"p1", "p2", "-", "-"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(export_refuses_formats_it_cannot_write) {
    registry_default r({});
    auto e = refused([&] { r.export_state({"registry/2", "queue/1"}); });
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(error_code::state_format));
    BOOST_TEST(
        e.message ==
        "registry-default: cannot write any of [registry/2, queue/1]; it writes [registry/1]");
}

BOOST_AUTO_TEST_CASE(a_bad_state_is_refused_and_changes_nothing) {
    registry_default r({});
    r.register_protocol(spec_with("echo/v1", "echo", "{}"));
    r.register_provider(provider("p", {"echo/v1"}, 2));
    r.track_load("p", +1);
    const auto before = json::serialize(r.export_state({"registry/1"}));

    const std::string good_protocol = R"({"id":"b/v1","methods":[]})";
    const std::string good_provider =
        R"({"id":"q","protocols":["b/v1"],"max_concurrency":1,"load":0})";
    auto import = [&](const std::string& text) {
        return refused([&] { r.import_state(obj(text)); });
    };
    auto state = [&](const std::string& protocols, const std::string& providers) {
        return R"({"format":"registry/1","protocols":[)" + protocols + R"(],"providers":[)" +
               providers + "]}";
    };
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"protocols":[],"providers":[]})",
         "registry-default: the state names no format; it reads [registry/1]"},
        {R"({"format":"registry/2","protocols":[],"providers":[]})",
         "registry-default: cannot read state format 'registry/2'; it reads [registry/1]"},
        {R"({"format":"registry/1","protocols":[]})", "registry-default: state has no 'providers'"},
        {R"({"format":"registry/1","protocols":[],"providers":[],"x":1})",
         "registry-default: state has an unknown key 'x'"},
        {R"({"format":"registry/1","protocols":{},"providers":[]})",
         "registry-default: state protocols is not an array"},
        {state(good_protocol + R"(,{"id":"bad","methods":[]})", good_provider),
         "registry-default: state protocols[1]: protocol id 'bad' is not of the form name/vN "
         "(e.g. echo/v1)"},
        {state(good_protocol + "," + good_protocol, good_provider),
         "registry-default: state protocols[1]: protocol 'b/v1' is listed twice"},
        {state(R"({"id":"b/v1","methods":[{"name":"m","params":{"s":{"pattern":"["}}}]})", ""),
         "registry-default: state protocols[0]: protocol 'b/v1' method 'm': params.s: 'pattern' "
         "applies only to type string (the type is any)"},
        {state(good_protocol, good_provider + "," + good_provider),
         "registry-default: state providers[1]: provider 'q' is listed twice"},
        {state(good_protocol, R"({"id":"q","protocols":["b/v1"],"max_concurrency":1,"load":-1})"),
         "registry-default: state providers[0].load is not an unsigned integer"},
        {state(good_protocol, R"({"id":"q","protocols":["b/v1"],"max_concurrency":0,"load":0})"),
         "registry-default: state providers[0]: provider 'q' has max_concurrency 0"},
        {state(good_protocol, R"({"id":"q","protocols":["b/v1"],"load":0})"),
         "registry-default: state providers[0] has no 'max_concurrency'"},
        {state(good_protocol, R"({"id":"q","protocols":[1],"max_concurrency":1,"load":0})"),
         "registry-default: state providers[0].protocols holds a non-string"},
        {state(good_protocol, "7"), "registry-default: state providers[0] is not an object"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& [text, message] = cases[i];
        const auto e = import(text);
        // The first two name no format or one it does not read; the rest are malformed.
        const auto want = i < 2 ? error_code::state_format : error_code::invalid_argument;
        BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(want), text);
        BOOST_TEST(e.message == message);
        BOOST_TEST(json::serialize(r.export_state({"registry/1"})) == before);
    }
    // The good parts of those states were fine on their own.
    r.import_state(obj(state(good_protocol, good_provider)));
    BOOST_TEST(*r.find_provider("b/v1") == "q");
    BOOST_TEST(!r.find_protocol("echo/v1").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
