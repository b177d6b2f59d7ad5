// registry-default: turns a method's `params` into the compiled schema of param_schema.hpp,
// refusing a malformed one with the method, the parameter and the rule named. Runs once per
// register_protocol, so it may allocate freely; the regexes are built here and never again.

#include "param_schema.hpp"

#include "gleitzeit/error.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>

namespace gleitzeit::registry_default_detail {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 12> schema_keys{
    "type",       "required", "enum",  "minimum",    "maximum",    "min_length",
    "max_length", "pattern",  "items", "properties", "additional", "description"};

constexpr std::array<value_type, 8> all_types{
    value_type::string, value_type::number, value_type::integer, value_type::boolean,
    value_type::object, value_type::array,  value_type::null,    value_type::any};

class compiler {
public:
    explicit compiler(std::string_view where) : where_(where) {}

    param_schema param(const json::value& v, const std::string& at) const {
        const auto* o = v.if_object();
        if (!o)
            refuse(at, "the schema is not an object");
        for (const auto& kv : *o)
            if (std::find(schema_keys.begin(), schema_keys.end(), kv.key()) == schema_keys.end())
                refuse(at, unknown_key(kv.key()));

        param_schema s;
        if (const auto* t = o->if_contains("type"))
            s.type = type_of(*t, at);
        if (const auto* r = o->if_contains("required"))
            s.required = boolean(*r, "required", at);
        if (const auto* d = o->if_contains("description"); d && !d->is_string())
            refuse(at, "'description' is not a string");

        needs(*o, "minimum", s.type, {value_type::number, value_type::integer}, at);
        needs(*o, "maximum", s.type, {value_type::number, value_type::integer}, at);
        needs(*o, "min_length", s.type, {value_type::string}, at);
        needs(*o, "max_length", s.type, {value_type::string}, at);
        needs(*o, "pattern", s.type, {value_type::string}, at);
        needs(*o, "items", s.type, {value_type::array}, at);
        needs(*o, "properties", s.type, {value_type::object}, at);
        needs(*o, "additional", s.type, {value_type::object}, at);

        s.minimum = number(*o, "minimum", at);
        s.maximum = number(*o, "maximum", at);
        if (s.minimum && s.maximum && *s.minimum > *s.maximum)
            refuse(at, "minimum " + render_json(o->at("minimum")) + " is above maximum " +
                           render_json(o->at("maximum")));
        s.min_length = length(*o, "min_length", at);
        s.max_length = length(*o, "max_length", at);
        if (s.min_length && s.max_length && *s.min_length > *s.max_length)
            refuse(at, "min_length " + std::to_string(*s.min_length) + " is above max_length " +
                           std::to_string(*s.max_length));
        if (const auto* p = o->if_contains("pattern"))
            compile_pattern(*p, s, at);
        if (const auto* e = o->if_contains("enum"))
            allowed(*e, s, at);
        if (const auto* items = o->if_contains("items"))
            s.items = std::make_unique<param_schema>(param(*items, at + "[]"));
        const auto* props = o->if_contains("properties");
        const auto* additional = o->if_contains("additional");
        if (props || additional) {
            s.properties = std::make_unique<object_schema>();
            if (props) {
                const auto* members = props->if_object();
                if (!members)
                    refuse(at, "'properties' is not an object");
                for (const auto& kv : *members)
                    s.properties->properties.emplace_back(
                        std::string(kv.key()), param(kv.value(), at + "." + std::string(kv.key())));
            }
            if (additional)
                s.properties->additional = boolean(*additional, "additional", at);
        }
        return s;
    }

private:
    [[noreturn]] void refuse(const std::string& at, const std::string& why) const {
        throw error(error_code::invalid_argument, std::string(where_) + ": " + at + ": " + why);
    }

    static std::string unknown_key(std::string_view key) {
        const std::vector<std::string_view> known(schema_keys.begin(), schema_keys.end());
        const auto near = nearest(key, known);
        std::string why = "unknown schema key '" + std::string(key) + "' (";
        if (!near.empty())
            return why + "did you mean '" + std::string(near) + "'?)";
        for (std::size_t i = 0; i < known.size(); ++i)
            why += std::string(i ? ", " : "known: ") + std::string(known[i]);
        return why + ")";
    }

    value_type type_of(const json::value& v, const std::string& at) const {
        const auto* name = v.if_string();
        if (!name)
            refuse(at, "'type' is not a string");
        for (auto t : all_types)
            if (*name == type_name(t))
                return t;
        std::string known;
        for (auto t : all_types)
            known += (known.empty() ? "" : ", ") + std::string(type_name(t));
        refuse(at, "unknown type '" + std::string(*name) + "' (known: " + known + ")");
    }

    bool boolean(const json::value& v, std::string_view key, const std::string& at) const {
        if (!v.is_bool())
            refuse(at, "'" + std::string(key) + "' is not a boolean");
        return v.get_bool();
    }

    // A rule that only makes sense for some types is refused elsewhere, so that
    // {"type": "integer", "max_length": 3} is not a check that silently never runs.
    void needs(const json::object& o, std::string_view key, value_type type,
               std::initializer_list<value_type> types, const std::string& at) const {
        if (!o.contains(key) || std::find(types.begin(), types.end(), type) != types.end())
            return;
        std::string allowed;
        for (auto t : types)
            allowed += (allowed.empty() ? "" : " or ") + std::string(type_name(t));
        refuse(at, "'" + std::string(key) + "' applies only to type " + allowed + " (the type is " +
                       std::string(type_name(type)) + ")");
    }

    std::optional<double> number(const json::object& o, std::string_view key,
                                 const std::string& at) const {
        const auto* v = o.if_contains(key);
        if (!v)
            return std::nullopt;
        if (!v->is_number())
            refuse(at, "'" + std::string(key) + "' is not a number");
        return v->to_number<double>();
    }

    std::optional<std::size_t> length(const json::object& o, std::string_view key,
                                      const std::string& at) const {
        const auto* v = o.if_contains(key);
        if (!v)
            return std::nullopt;
        if (v->is_int64() && v->get_int64() >= 0)
            return static_cast<std::size_t>(v->get_int64());
        if (v->is_uint64())
            return static_cast<std::size_t>(v->get_uint64());
        refuse(at, "'" + std::string(key) + "' is not an integer >= 0");
    }

    // Our own words for the reason: what() differs between standard libraries.
    static std::string_view regex_reason(std::regex_constants::error_type code) {
        namespace rc = std::regex_constants;
        switch (code) {
        case rc::error_collate:
            return "invalid collating element";
        case rc::error_ctype:
            return "invalid character class";
        case rc::error_escape:
            return "invalid escape";
        case rc::error_backref:
            return "invalid back reference";
        case rc::error_brack:
            return "unbalanced brackets";
        case rc::error_paren:
            return "unbalanced parentheses";
        case rc::error_brace:
            return "unbalanced braces";
        case rc::error_badbrace:
            return "invalid repetition count";
        case rc::error_range:
            return "invalid character range";
        case rc::error_badrepeat:
            return "nothing to repeat";
        default:
            return "too complex";
        }
    }

    void compile_pattern(const json::value& v, param_schema& s, const std::string& at) const {
        const auto* text = v.if_string();
        if (!text)
            refuse(at, "'pattern' is not a string");
        s.pattern_text.assign(text->data(), text->size());
        try {
            s.pattern.emplace(s.pattern_text, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            refuse(at, "pattern '" + s.pattern_text +
                           "' does not compile: " + std::string(regex_reason(e.code())));
        }
    }

    void allowed(const json::value& v, param_schema& s, const std::string& at) const {
        const auto* values = v.if_array();
        if (!values || values->empty())
            refuse(at, "'enum' is not a non-empty array");
        for (const auto& a : *values)
            if (!fits_type(a, s.type))
                refuse(at, "enum value " + render_json(a) + " is not of type " +
                               std::string(type_name(s.type)));
        s.allowed.assign(values->begin(), values->end());
    }

    std::string_view where_;
};

} // namespace

object_schema compile_method_params(const json::object& params, std::string_view where) {
    const compiler c(where);
    object_schema out;
    out.properties.reserve(params.size());
    for (const auto& kv : params) {
        // The method's own flag; a parameter's schema is an object, never a boolean.
        if (kv.key() == "additional" && kv.value().is_bool()) {
            out.additional = kv.value().get_bool();
            continue;
        }
        out.properties.emplace_back(std::string(kv.key()),
                                    c.param(kv.value(), "params." + std::string(kv.key())));
    }
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0u : 1u)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string_view nearest(std::string_view name, const std::vector<std::string_view>& candidates) {
    std::string_view best;
    std::size_t best_distance = 3; // suggestions beyond 2 edits are guesses, not typos
    for (auto c : candidates) {
        const auto d = edit_distance(name, c);
        if (d < best_distance) {
            best = c;
            best_distance = d;
        }
    }
    return best;
}

} // namespace gleitzeit::registry_default_detail
