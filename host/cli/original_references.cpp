// The original's ${...} references, mapped onto the hub's (docs/workflows.md, "References").
// The original writes ${<task name or id>.<field>...} and reads the field from the result
// its provider returned; ours writes ${<id>.result...}, and our providers' results are
// shaped differently:
//   llm/v1     ${t.response}, ${t.content} as they are; ${t.result} (the original's whole
//              result) is the text, ${t.result.x} is ${t.x}
//   python/v1  ${t.result...} is what the script left in `result`: our result.result;
//              ${t.output} is our stdout
//   mcp/v1     ${t.result} and ${t.response} are the tool's result: our result.result
//   others     ${t.result...} as it is, ${t.x} is ${t.result.x}
// ${t} alone means ${t.result}, as in the original.

#include "original_context.hpp"

#include <charconv>
#include <string_view>

namespace gleitzeit::cli::original {
namespace {

namespace json = boost::json;

/// Why `rest`, what follows the task in a reference, is not a path the hub's resolver reads
/// (resolver-dag's parse_references): `.field` steps, a field holding none of . [ { } $, and
/// `[digits]` steps. Empty when it is one. A '{' would make the resolver take the whole
/// ${...} for text.
std::string path_problem(std::string_view rest) {
    for (std::size_t i = 0; i < rest.size();) {
        if (rest[i] == '.') {
            const auto end = rest.find_first_of(".[", i + 1);
            const auto field =
                rest.substr(i + 1, end == std::string_view::npos ? end : end - i - 1);
            if (field.empty())
                return " has an empty field name";
            if (field.find_first_of("{}$") != std::string_view::npos)
                return ": the field '" + std::string(field) + "' may not hold '{', '}' or '$'";
            i = end == std::string_view::npos ? rest.size() : end;
        } else if (rest[i] == '[') {
            const auto close = rest.find(']', i + 1);
            if (close == std::string_view::npos)
                return ": a '[' is not closed";
            const auto digits = rest.substr(i + 1, close - i - 1);
            std::size_t index = 0;
            const auto [last, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), index);
            if (digits.empty() || ec != std::errc() || last != digits.data() + digits.size())
                return ": an index must be a non-negative integer, not '" + std::string(digits) +
                       "'";
            i = close + 1;
        } else {
            return ": expected '.' or '[' after ']'";
        }
    }
    return {};
}

/// Whether ${<id>.result...} names the task `id` to the resolver: it ends the id at the first
/// ".result" followed by '.', '[' or the end, and takes a ${...} that holds '{' for text (and
/// the first '}' ends it).
bool referable(std::string_view id) {
    if (id.find_first_of("{}") != std::string_view::npos)
        return false;
    constexpr std::string_view marker = ".result";
    for (auto p = id.find(marker); p != std::string_view::npos; p = id.find(marker, p + 1)) {
        const auto after = p + marker.size();
        if (after == id.size() || id[after] == '.' || id[after] == '[')
            return false;
    }
    return true;
}

std::string family(const std::string& protocol) {
    return protocol.substr(0, protocol.find('/'));
}

/// The path in our result for the original's `first` field and what follows it.
std::string our_path(const std::string& protocol, const std::string& first,
                     const std::string& after) {
    const auto f = family(protocol);
    if (f == "python") {
        if (first == "result")
            return "result.result" + after;
        if (first == "output")
            return "result.stdout" + after;
    } else if (f == "mcp") {
        if (first == "result" || first == "response")
            return "result.result" + after;
    } else if (f == "llm") {
        if (first == "result")
            return after.empty() ? "result.response" : "result" + after;
    } else if (first == "result") {
        return "result" + after;
    }
    return "result." + first + after;
}

std::string mapped(context& c, const task_names& self, const std::string& inner,
                   const std::string& path) {
    const auto cut = inner.find_first_of(".[");
    const auto ref = inner.substr(0, cut);
    const std::string rest = cut == std::string::npos ? "" : inner.substr(cut);
    const auto shown = "${" + inner + "}";
    if (ref.empty())
        c.fail(path, shown + " names no task");
    if (const auto problem = path_problem(rest); !problem.empty())
        c.fail(path, shown + problem);
    const auto* dep = c.find(ref);
    if (!dep)
        c.fail(path, shown + ": no task has the id or name '" + ref + "'");
    if (dep->id == self.id)
        c.fail(path, shown + ": a task cannot use its own result");
    if (!referable(dep->id))
        c.fail(path, shown + ": task '" + dep->id +
                         "' cannot be named in a reference: its id holds '{', '}' or '.result'");
    if (!c.depends_on(self, dep->id))
        c.fail(path, shown + ": task '" + (self.name.empty() ? self.id : self.name) +
                         "' does not depend on task '" + ref +
                         "', directly or through others, so its result may not be there yet; "
                         "add it to dependencies");
    std::string first = "result", after = rest;
    if (!rest.empty() && rest[0] == '.') {
        const auto end = rest.find_first_of(".[", 1);
        first = rest.substr(1, end == std::string::npos ? std::string::npos : end - 1);
        after = end == std::string::npos ? "" : rest.substr(end);
    }
    return dep->id + "." + our_path(dep->protocol, first, after);
}

std::string rewrite(context& c, const task_names& self, const std::string& s,
                    const std::string& path) {
    std::string out;
    std::size_t pos = 0;
    for (std::size_t b; (b = s.find("${", pos)) != std::string::npos;) {
        const auto e = s.find('}', b + 2);
        if (e == std::string::npos)
            c.fail(path, "an unterminated ${ in \"" + s + "\"");
        out.append(s, pos, b - pos);
        out += "${" + mapped(c, self, s.substr(b + 2, e - b - 2), path) + "}";
        pos = e + 1;
    }
    out.append(s, pos, std::string::npos);
    return out;
}

} // namespace

void map_references(context& c, const task_names& self, json::value& v, const std::string& path) {
    if (auto* o = v.if_object()) {
        for (auto& [key, value] : *o)
            map_references(c, self, value, path + "." + std::string(key));
    } else if (auto* a = v.if_array()) {
        for (std::size_t i = 0; i < a->size(); ++i)
            map_references(c, self, (*a)[i], path + "[" + std::to_string(i) + "]");
    } else if (auto* s = v.if_string(); s && s->find("${") != json::string::npos) {
        *s = rewrite(c, self, std::string(*s), path);
    }
}

} // namespace gleitzeit::cli::original
