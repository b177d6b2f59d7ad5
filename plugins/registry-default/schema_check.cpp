// registry-default: checks a call's params against its method's compiled schema. This runs
// for every task the hub accepts, so the path of a value is a chain of links on the stack and
// becomes a string only when a check fails.

#include "param_schema.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace gleitzeit::registry_default_detail {

namespace json = boost::json;

namespace {

// How long a string may be when quoted in a message; a megabyte in an error helps nobody.
constexpr std::size_t quoted_limit = 64;

// One step of the path from the params object to the value being checked.
struct path_link {
    const path_link* parent = nullptr;
    std::string_view member; // when !is_index
    std::size_t index = 0;
    bool is_index = false;
};

void render_path(const path_link* p, std::string& out) {
    if (p->parent == nullptr) {
        out += p->member; // the root, "params"
        return;
    }
    render_path(p->parent, out);
    if (p->is_index) {
        out += '[';
        out += std::to_string(p->index);
        out += ']';
    } else {
        out += '.';
        out += p->member;
    }
}

std::string path_text(const path_link& at) {
    std::string out;
    render_path(&at, out);
    return out;
}

[[noreturn]] void refuse(const call_site& where, const path_link& at, const std::string& why) {
    std::string message(where.protocol);
    message += ' ';
    message += where.method;
    message += ": ";
    render_path(&at, message);
    message += ": ";
    message += why;
    throw error(error_code::invalid_argument, message);
}

std::string_view kind_of(const json::value& v) noexcept {
    switch (v.kind()) {
    case json::kind::string:
        return "string";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
        return "number";
    case json::kind::bool_:
        return "boolean";
    case json::kind::object:
        return "object";
    case json::kind::array:
        return "array";
    case json::kind::null:
        return "null";
    }
    return "null";
}

std::string_view with_article(value_type t) noexcept {
    switch (t) {
    case value_type::string:
        return "a string";
    case value_type::number:
        return "a number";
    case value_type::integer:
        return "an integer";
    case value_type::boolean:
        return "a boolean";
    case value_type::object:
        return "an object";
    case value_type::array:
        return "an array";
    case value_type::null:
        return "null";
    case value_type::any:
        return "any value";
    }
    return "any value";
}

std::string render_double(double d) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

// A string as the subject of a message: single-quoted, cut at a character boundary.
std::string quoted(const json::string& s) {
    std::string_view text(s.data(), s.size());
    if (text.size() <= quoted_limit)
        return "'" + std::string(text) + "'";
    std::size_t cut = quoted_limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    return "'" + std::string(text.substr(0, cut)) + "...'";
}

std::string subject(const json::value& v) {
    return v.is_string() ? quoted(v.get_string()) : render_json(v);
}

// JSON Schema counts a string's length in code points, not bytes.
std::size_t code_points(const json::string& s) noexcept {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// 1 and 1.0 are the same JSON number, though Boost.JSON keeps them apart.
bool same_value(const json::value& a, const json::value& b) noexcept {
    if (a == b)
        return true;
    return a.is_number() && b.is_number() && a.to_number<double>() == b.to_number<double>();
}

std::string allowed_list(const std::vector<json::value>& allowed) {
    std::string out = "[";
    for (std::size_t i = 0; i < allowed.size(); ++i)
        out += (i ? ", " : "") + render_json(allowed[i]);
    return out + "]";
}

std::string member_list(const object_schema& s) {
    std::string out;
    for (const auto& [name, _] : s.properties)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

void check_object(const object_schema& s, const json::object& o, const path_link& at,
                  const call_site& where);

void check_value(const param_schema& s, const json::value& v, const path_link& at,
                 const call_site& where) {
    if (!fits_type(v, s.type))
        refuse(where, at,
               "expected " + std::string(with_article(s.type)) + ", got " +
                   std::string(kind_of(v)));
    if (!s.allowed.empty() && std::none_of(s.allowed.begin(), s.allowed.end(),
                                           [&](const json::value& a) { return same_value(a, v); }))
        refuse(where, at, subject(v) + " is not one of " + allowed_list(s.allowed));
    if (v.is_number()) {
        const double d = v.to_number<double>();
        if (s.minimum && d < *s.minimum)
            refuse(where, at, subject(v) + " is below the minimum " + render_double(*s.minimum));
        if (s.maximum && d > *s.maximum)
            refuse(where, at, subject(v) + " is above the maximum " + render_double(*s.maximum));
    } else if (const auto* str = v.if_string()) {
        if (s.min_length || s.max_length) {
            const std::size_t n = code_points(*str);
            if (s.min_length && n < *s.min_length)
                refuse(where, at,
                       quoted(*str) + " is shorter than the minimum length " +
                           std::to_string(*s.min_length));
            if (s.max_length && n > *s.max_length)
                refuse(where, at,
                       quoted(*str) + " is longer than the maximum length " +
                           std::to_string(*s.max_length));
        }
        if (s.pattern) {
            if (str->size() > pattern_limit)
                refuse(where, at,
                       std::to_string(str->size()) +
                           " bytes are too long to check against the pattern (limit " +
                           std::to_string(pattern_limit) + ")");
            if (!std::regex_search(str->begin(), str->end(), *s.pattern))
                refuse(where, at,
                       quoted(*str) + " does not match the pattern '" + s.pattern_text + "'");
        }
    } else if (const auto* arr = v.if_array()) {
        if (s.items)
            for (std::size_t i = 0; i < arr->size(); ++i)
                check_value(*s.items, (*arr)[i], path_link{&at, {}, i, true}, where);
    } else if (const auto* obj = v.if_object()) {
        if (s.properties)
            check_object(*s.properties, *obj, at, where);
    }
}

void check_object(const object_schema& s, const json::object& o, const path_link& at,
                  const call_site& where) {
    // Unknown members first: a misspelt name would otherwise be reported as the required
    // one missing, which hides the typo.
    if (!s.additional)
        for (const auto& kv : o) {
            const auto known = std::any_of(s.properties.begin(), s.properties.end(),
                                           [&](const auto& p) { return p.first == kv.key(); });
            if (known)
                continue;
            const std::string owner = at.parent == nullptr ? "the method" : path_text(at);
            std::string why = "unknown parameter (";
            if (s.properties.empty())
                why += owner + (at.parent == nullptr ? " takes no parameters)" : " allows none)");
            else
                why += owner + " allows only: " + member_list(s) + ")";
            refuse(where, path_link{&at, kv.key(), 0, false}, why);
        }
    for (const auto& [name, schema] : s.properties) {
        const path_link member{&at, name, 0, false};
        if (const auto* v = o.if_contains(name))
            check_value(schema, *v, member, where);
        else if (schema.required)
            refuse(where, member, "required parameter is missing");
    }
}

} // namespace

bool fits_type(const json::value& v, value_type t) noexcept {
    switch (t) {
    case value_type::string:
        return v.is_string();
    case value_type::number:
        return v.is_number();
    case value_type::integer:
        if (v.is_int64() || v.is_uint64())
            return true;
        return v.is_double() && std::isfinite(v.get_double()) &&
               std::trunc(v.get_double()) == v.get_double();
    case value_type::boolean:
        return v.is_bool();
    case value_type::object:
        return v.is_object();
    case value_type::array:
        return v.is_array();
    case value_type::null:
        return v.is_null();
    case value_type::any:
        return true;
    }
    return false;
}

std::string_view type_name(value_type t) noexcept {
    switch (t) {
    case value_type::string:
        return "string";
    case value_type::number:
        return "number";
    case value_type::integer:
        return "integer";
    case value_type::boolean:
        return "boolean";
    case value_type::object:
        return "object";
    case value_type::array:
        return "array";
    case value_type::null:
        return "null";
    case value_type::any:
        return "any";
    }
    return "any";
}

std::string render_json(const json::value& v) {
    if (v.is_int64())
        return std::to_string(v.get_int64());
    if (v.is_uint64())
        return std::to_string(v.get_uint64());
    if (v.is_double())
        return render_double(v.get_double());
    return json::serialize(v);
}

void check_method_params(const object_schema& schema, const json::object& params,
                         const call_site& where) {
    const path_link root{nullptr, "params", 0, false};
    check_object(schema, params, root, where);
}

} // namespace gleitzeit::registry_default_detail
