#include "tool_schema.hpp"

#include <boost/json/array.hpp>

#include <array>
#include <cmath>
#include <regex>
#include <string_view>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 7> plain_types{"string", "number",  "integer", "boolean",
                                                      "object", "array",   "null"};

bool fits(const json::value& v, std::string_view type) {
    if (type == "string")
        return v.is_string();
    if (type == "number")
        return v.is_number();
    if (type == "integer") {
        if (v.is_int64() || v.is_uint64())
            return true;
        return v.is_double() && std::trunc(v.get_double()) == v.get_double();
    }
    if (type == "boolean")
        return v.is_bool();
    if (type == "object")
        return v.is_object();
    if (type == "array")
        return v.is_array();
    if (type == "null")
        return v.is_null();
    return true; // any
}

/// The registry's type for a JSON Schema, or "any" when one type does not describe it.
std::string_view type_of(const json::object& s) {
    for (std::string_view combinator : {"anyOf", "oneOf", "allOf", "not", "$ref"})
        if (s.contains(combinator))
            return "any";
    const json::value* t = s.if_contains("type");
    if (!t || !t->is_string())
        return "any";
    for (std::string_view known : plain_types)
        if (t->get_string() == known)
            return known;
    return "any";
}

bool non_negative_integer(const json::value& v) {
    return (v.is_int64() && v.get_int64() >= 0) || v.is_uint64();
}

void copy_numbers(const json::object& s, json::object& out) {
    const json::value* lo = s.if_contains("minimum");
    const json::value* hi = s.if_contains("maximum");
    if (lo && !lo->is_number())
        lo = nullptr;
    if (hi && !hi->is_number())
        hi = nullptr;
    // An unsatisfiable range would make the registry refuse the protocol: dropped.
    if (lo && hi && lo->to_number<double>() > hi->to_number<double>())
        return;
    if (lo)
        out["minimum"] = *lo;
    if (hi)
        out["maximum"] = *hi;
}

void copy_string_rules(const json::object& s, json::object& out) {
    const json::value* lo = s.if_contains("minLength");
    const json::value* hi = s.if_contains("maxLength");
    if (lo && !non_negative_integer(*lo))
        lo = nullptr;
    if (hi && !non_negative_integer(*hi))
        hi = nullptr;
    if (!(lo && hi && lo->to_number<double>() > hi->to_number<double>())) {
        if (lo)
            out["min_length"] = *lo;
        if (hi)
            out["max_length"] = *hi;
    }
    if (const json::value* p = s.if_contains("pattern"); p && p->is_string()) {
        try {
            std::regex compiled(std::string(p->get_string()), std::regex::ECMAScript);
            out["pattern"] = *p;
        } catch (const std::regex_error&) {
            // JSON Schema's dialect has things std::regex lacks (\p{L}, ...): the server checks.
        }
    }
}

void copy_enum(const json::object& s, std::string_view type, json::object& out) {
    json::array values;
    if (const json::value* c = s.if_contains("const")) {
        values.push_back(*c);
    } else if (const json::value* e = s.if_contains("enum"); e && e->is_array()) {
        values = e->get_array();
    }
    if (values.empty())
        return;
    for (const json::value& v : values)
        if (!fits(v, type))
            return;
    out["enum"] = std::move(values);
}

void copy_object_rules(const json::object& s, int depth, json::object& out) {
    const json::value* props = s.if_contains("properties");
    if (props && props->is_object()) {
        json::object mapped;
        for (const auto& kv : props->get_object()) {
            bool required = false;
            if (const json::value* r = s.if_contains("required"); r && r->is_array())
                for (const json::value& name : r->get_array())
                    required = required || (name.is_string() && name.get_string() == kv.key());
            mapped[kv.key()] = param_schema_of(kv.value(), required, depth + 1);
        }
        out["properties"] = std::move(mapped);
    }
    if (const json::value* a = s.if_contains("additionalProperties"); a && a->is_bool() &&
                                                                       !a->get_bool())
        out["additional"] = false;
}

} // namespace

json::object param_schema_of(const json::value& schema, bool required, int depth) {
    json::object out;
    const json::object* s = schema.if_object();
    std::string_view type = (s && depth < max_schema_depth) ? type_of(*s) : "any";
    out["type"] = type;
    if (required)
        out["required"] = true;
    if (!s)
        return out;
    if (const json::value* d = s->if_contains("description"); d && d->is_string())
        out["description"] = *d;
    if (type == "any")
        return out;
    copy_enum(*s, type, out);
    if (type == "number" || type == "integer")
        copy_numbers(*s, out);
    else if (type == "string")
        copy_string_rules(*s, out);
    else if (type == "array") {
        if (const json::value* items = s->if_contains("items"); items && items->is_object())
            out["items"] = param_schema_of(*items, false, depth + 1);
    } else if (type == "object")
        copy_object_rules(*s, depth, out);
    return out;
}

json::object method_params(const json::value& input_schema) {
    json::object out;
    const json::object* s = input_schema.if_object();
    if (!s)
        return out;
    json::object top;
    copy_object_rules(*s, 0, top);
    if (json::value* props = top.if_contains("properties"))
        out = std::move(props->get_object());
    // The registry reads a boolean "additional" at the method level as the method's own flag;
    // a tool with a parameter of that name keeps the parameter and loses the flag.
    if (top.contains("additional") && !out.contains("additional"))
        out["additional"] = false;
    return out;
}

} // namespace gleitzeit::provider_mcp_detail
