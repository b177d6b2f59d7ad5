#include "result_reference.hpp"

#include "gleitzeit/json_text.hpp"

#include <charconv>

namespace gleitzeit::resolver_dag_detail {

namespace json = boost::json;

namespace {

constexpr std::string_view result_marker = ".result";

// Where ".result" ends the task id in the text between "${" and "}": its first occurrence
// followed by the end, '.' or '['. A task id may then hold dots ("step.1"), though not
// ".result" followed by one of those.
std::size_t find_result_marker(std::string_view content) {
    for (std::size_t p = content.find(result_marker); p != std::string_view::npos;
         p = content.find(result_marker, p + 1)) {
        const std::size_t after = p + result_marker.size();
        if (after == content.size() || content[after] == '.' || content[after] == '[')
            return p;
    }
    return std::string_view::npos;
}

std::vector<path_step> parse_path(std::string_view rest, std::string_view whole) {
    std::vector<path_step> path;
    auto fail = [&](const std::string& why) { throw malformed_reference(std::string(whole), why); };
    std::size_t i = 0;
    while (i < rest.size()) {
        if (rest[i] == '.') {
            const std::size_t end = rest.find_first_of(".[", i + 1);
            const std::string_view field =
                rest.substr(i + 1, end == std::string_view::npos ? end : end - i - 1);
            if (field.empty())
                fail("a field name is empty");
            path.push_back({false, field, 0});
            i = end == std::string_view::npos ? rest.size() : end;
        } else if (rest[i] == '[') {
            const std::size_t close = rest.find(']', i + 1);
            if (close == std::string_view::npos)
                fail("a '[' is not closed");
            const std::string_view digits = rest.substr(i + 1, close - i - 1);
            std::size_t index = 0;
            const auto [last, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), index);
            if (digits.empty() || ec != std::errc() || last != digits.data() + digits.size())
                fail("an index must be a non-negative integer, not '" + std::string(digits) + "'");
            path.push_back({true, {}, index});
            i = close + 1;
        } else {
            fail("expected '.' or '[' after ']'");
        }
    }
    return path;
}

// Where a value sits in params, as a chain of stack objects: it becomes a string only for a
// reference, so that walking params without references allocates nothing for it.
struct location {
    const location* parent = nullptr;
    std::string_view key;
    std::size_t index = 0;
    bool is_index = false;

    std::string str() const {
        std::string s = parent ? parent->str() : std::string("params");
        if (is_index)
            return s + "[" + std::to_string(index) + "]";
        return s + "." + std::string(key);
    }
};

bool visit_value(const json::value& v, const location& where, const reference_visitor& visit) {
    bool found = false;
    if (const auto* s = v.if_string()) {
        std::vector<result_reference> refs;
        try {
            refs = parse_references({s->data(), s->size()});
        } catch (const malformed_reference& e) {
            throw malformed_reference(e.text(), e.what(), where.str());
        }
        for (const auto& r : refs) {
            visit(r.task_id, where.str());
            found = true;
        }
    } else if (const auto* a = v.if_array()) {
        for (std::size_t i = 0; i < a->size(); ++i)
            found |= visit_value((*a)[i], location{&where, {}, i, true}, visit);
    } else if (const auto* o = v.if_object()) {
        for (const auto& kv : *o)
            found |= visit_value(kv.value(), location{&where, kv.key(), 0, false}, visit);
    }
    return found;
}

std::string kind_of(const json::value& v) {
    switch (v.kind()) {
    case json::kind::string:
        return "a string";
    case json::kind::array:
        return "a list";
    case json::kind::object:
        return "an object";
    case json::kind::bool_:
        return "a boolean";
    case json::kind::null:
        return "null";
    default:
        return "a number";
    }
}

// Why `r` names nothing: the first step of its path that `result` does not have, and what
// is there instead.
std::string explain_miss(std::string_view whole, const result_reference& r,
                         const json::value* result) {
    const std::string head = std::string(whole) + ": ";
    const std::string task = " of task '" + std::string(r.task_id) + "'";
    if (!result)
        return head + "task '" + std::string(r.task_id) + "' has no result";
    std::string at = "result";
    const json::value* v = result;
    for (const auto& step : r.path) {
        if (step.is_index) {
            const auto* a = v->if_array();
            if (!a)
                return head + at + task + " is " + kind_of(*v) + ", not a list";
            if (step.index >= a->size())
                return head + at + task + " has " + std::to_string(a->size()) +
                       " elements, no [" + std::to_string(step.index) + "]";
            v = &(*a)[step.index];
            at += "[" + std::to_string(step.index) + "]";
            continue;
        }
        const auto* o = v->if_object();
        if (!o)
            return head + at + task + " is " + kind_of(*v) + ", not an object";
        const auto* field = o->if_contains(step.field);
        if (!field) {
            std::string fields;
            std::size_t n = 0;
            for (const auto& kv : *o)
                if (n++ < 8)
                    fields += (fields.empty() ? "" : ", ") + std::string(kv.key());
            return head + at + task + " has no field '" + std::string(step.field) + "'" +
                   (fields.empty() ? std::string(" (it is empty)")
                                   : " (it has " + fields + (n > 8 ? ", ..." : "") + ")");
        }
        v = field;
        at += "." + std::string(step.field);
    }
    return head + "unresolved";
}

json::value substitute_string(const json::string& s, const result_lookup& result_of) {
    const std::string_view text(s.data(), s.size());
    const auto refs = parse_references(text);
    if (refs.empty())
        return s;
    auto value_of = [&](const result_reference& r) -> const json::value* {
        const json::value* result = result_of(r.task_id);
        const json::value* v = result ? follow(*result, r.path) : nullptr;
        if (!v)
            throw unresolved_reference(
                explain_miss(text.substr(r.begin, r.end - r.begin), r, result));
        return v;
    };
    // One whole reference keeps the value's JSON type: a number stays a number.
    if (refs.size() == 1 && refs[0].begin == 0 && refs[0].end == text.size()) {
        return *value_of(refs[0]);
    }
    std::string out;
    std::size_t from = 0;
    for (const auto& r : refs) {
        out.append(text.substr(from, r.begin - from));
        const json::value* v = value_of(r);
        // Written into text as a person reads it: 6.23, not the serializer's 6.23E0.
        if (v->is_string())
            out.append(v->get_string().data(), v->get_string().size());
        else
            append_json_text(out, *v);
        from = r.end;
    }
    out.append(text.substr(from));
    return json::string(out);
}

json::value substitute_value(const json::value& v, const result_lookup& result_of) {
    if (const auto* s = v.if_string())
        return substitute_string(*s, result_of);
    if (const auto* a = v.if_array()) {
        json::array out;
        out.reserve(a->size());
        for (const auto& item : *a)
            out.push_back(substitute_value(item, result_of));
        return out;
    }
    if (const auto* o = v.if_object())
        return substitute(*o, result_of);
    return v;
}

} // namespace

std::vector<result_reference> parse_references(std::string_view text) {
    std::vector<result_reference> refs;
    std::size_t pos = 0;
    for (std::size_t start; (start = text.find("${", pos)) != std::string_view::npos;) {
        const std::size_t close = text.find('}', start + 2);
        // Refused rather than left as text: the writer most likely meant a reference and
        // would otherwise find "${a.result" in the call (docs/events.md, "Workflows").
        if (close == std::string_view::npos)
            throw malformed_reference(std::string(text.substr(start, 40)),
                                      "the '${' is not closed with '}'");
        const std::string_view content = text.substr(start + 2, close - start - 2);
        if (content.empty())
            throw malformed_reference("${}", "it is empty");
        const std::size_t marker = find_result_marker(content);
        // A "${" inside means this one is text and the inner one may be a reference.
        if (marker == std::string_view::npos || content.find('{') != std::string_view::npos) {
            pos = start + 2;
            continue;
        }
        const std::string_view whole = text.substr(start, close + 1 - start);
        if (marker == 0)
            throw malformed_reference(std::string(whole), "it names no task");
        result_reference r;
        r.begin = start;
        r.end = close + 1;
        r.task_id = content.substr(0, marker);
        r.path = parse_path(content.substr(marker + result_marker.size()), whole);
        refs.push_back(std::move(r));
        pos = close + 1;
    }
    return refs;
}

const json::value* follow(const json::value& result, const std::vector<path_step>& path) noexcept {
    const json::value* at = &result;
    for (const auto& step : path) {
        if (step.is_index) {
            const auto* a = at->if_array();
            if (!a || step.index >= a->size())
                return nullptr;
            at = &(*a)[step.index];
        } else {
            const auto* o = at->if_object();
            at = o ? o->if_contains(step.field) : nullptr;
            if (!at)
                return nullptr;
        }
    }
    return at;
}

bool visit_references(const json::object& params, const reference_visitor& visit) {
    bool found = false;
    for (const auto& kv : params)
        found |= visit_value(kv.value(), location{nullptr, kv.key(), 0, false}, visit);
    return found;
}

json::object substitute(const json::object& params, const result_lookup& result_of) {
    json::object out;
    out.reserve(params.size());
    for (const auto& kv : params)
        out.emplace(kv.key(), substitute_value(kv.value(), result_of));
    return out;
}

} // namespace gleitzeit::resolver_dag_detail
