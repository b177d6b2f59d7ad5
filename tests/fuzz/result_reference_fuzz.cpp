// The ${<task id>.result...} references in task params: parsed and substituted by the resolver
// (plugins/resolver-dag/result_reference.hpp), spotted by the hub (gleitzeit/reference.hpp).
// Params come from whoever submits a workflow; results from whichever provider ran a task.
//
// The input is a JSON object {"params": {...}, "results": {"<task id>": <result>, ...}}; any
// other input is taken as the text of one string param, so that the parser also sees bytes
// that are not JSON.
//
// Invariants:
// - parse_references refuses only with malformed_reference; each reference it finds lies
//   inside the text, starts with "${" and ends with "}", names a non-empty task followed by
//   ".result", and the references come in order without overlapping;
// - visit_references visits exactly the references parse_references finds, and the hub's
//   holds_reference agrees whenever there is one;
// - params that visit_references accepted substitute, or refuse with unresolved_reference
//   exactly when a reference names a path its task's result does not have; params without
//   references substitute to themselves; a whole-string reference keeps its value's type.

#include "result_reference.hpp"

#include <gleitzeit/reference.hpp>

#include "fuzz_check.hpp"

#include <boost/json/parse.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;
namespace dag = gleitzeit::resolver_dag_detail;

/// The references of one string; nullopt when it is malformed.
std::optional<std::vector<dag::result_reference>> references_in(std::string_view text) {
    try {
        return dag::parse_references(text);
    } catch (const dag::malformed_reference& e) {
        FUZZ_CHECK(e.text().starts_with("${"));
        FUZZ_CHECK(std::string_view(e.what()).size() > 0);
        return std::nullopt;
    }
}

void check_references(std::string_view text, const std::vector<dag::result_reference>& refs) {
    std::size_t after_previous = 0;
    for (const auto& r : refs) {
        FUZZ_CHECK(r.begin >= after_previous && r.begin + 2 < r.end && r.end <= text.size());
        FUZZ_CHECK(text.substr(r.begin, 2) == "${" && text[r.end - 1] == '}');
        FUZZ_CHECK(!r.task_id.empty());
        FUZZ_CHECK(r.task_id.data() == text.data() + r.begin + 2);
        auto inner = text.substr(r.begin + 2, r.end - r.begin - 3);
        FUZZ_CHECK(inner.substr(r.task_id.size()).starts_with(".result"));
        FUZZ_CHECK(inner.find('}') == std::string_view::npos);
        for (const auto& step : r.path)
            FUZZ_CHECK(step.is_index || !step.field.empty());
        after_previous = r.end;
    }
}

/// What the references of params come to: how many, whether each is well formed, and whether
/// each names a path that `results` has.
struct tally {
    std::size_t count = 0;
    bool well_formed = true;
    bool resolvable = true;
};

void count_references(const json::value& v, const json::object& results, tally& t) {
    if (const auto* s = v.if_string()) {
        std::string_view text(s->data(), s->size());
        auto refs = references_in(text);
        if (!refs) {
            t.well_formed = false;
            return;
        }
        check_references(text, *refs);
        t.count += refs->size();
        for (const auto& r : *refs) {
            const auto* result = results.if_contains(r.task_id);
            t.resolvable = t.resolvable && result && dag::follow(*result, r.path);
        }
    } else if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            count_references(e, results, t);
    } else if (const auto* o = v.if_object()) {
        for (const auto& kv : *o)
            count_references(kv.value(), results, t);
    }
}

/// substitute(params), or nullopt when it refused a reference the results do not have.
std::optional<json::object> substituted(const json::object& params, const dag::result_lookup& of) {
    try {
        return dag::substitute(params, of);
    } catch (const dag::unresolved_reference& e) {
        FUZZ_CHECK(std::string_view(e.what()).starts_with("${"));
        return std::nullopt;
    }
}

void check_params(const json::object& params, const json::object& results) {
    tally t;
    count_references(json::value(params), results, t);
    std::size_t visited = 0;
    bool found = false;
    try {
        found = dag::visit_references(params, [&](std::string_view id, const std::string& where) {
            FUZZ_CHECK(!id.empty() && where.starts_with("params"));
            ++visited;
        });
    } catch (const dag::malformed_reference& e) {
        FUZZ_CHECK(!t.well_formed && e.where().starts_with("params"));
        return;
    }
    FUZZ_CHECK(t.well_formed && visited == t.count && found == (t.count > 0));
    if (found)
        FUZZ_CHECK(gleitzeit::holds_reference(params));

    // A missing path fails the task (unresolved_reference); every other one substitutes.
    auto out = substituted(params, [&](std::string_view id) { return results.if_contains(id); });
    FUZZ_CHECK(out.has_value() == t.resolvable);
    auto none = substituted(params, [](std::string_view) -> const json::value* { return nullptr; });
    FUZZ_CHECK(none.has_value() == !found);
    if (!found)
        FUZZ_CHECK(*out == params && *none == params);
    if (!out)
        return;
    FUZZ_CHECK(out->size() == params.size());
    // One whole reference keeps the JSON type of what it names.
    for (const auto& kv : params)
        if (const auto* s = kv.value().if_string()) {
            auto refs = dag::parse_references({s->data(), s->size()});
            if (refs.size() == 1 && refs[0].begin == 0 && refs[0].end == s->size())
                FUZZ_CHECK(out->at(kv.key()) ==
                           *dag::follow(results.at(refs[0].task_id), refs[0].path));
        }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    boost::system::error_code ec;
    auto v = json::parse(input, ec);
    json::object params, results;
    const auto* o = ec ? nullptr : v.if_object();
    if (o && o->contains("params") && o->at("params").is_object()) {
        params = o->at("params").get_object();
        if (const auto* r = o->if_contains("results"); r && r->is_object())
            results = r->get_object();
    } else {
        params["text"] = json::string(input);
    }
    try {
        check_params(params, results);
    } catch (...) {
        gleitzeit::fuzz::escaped("the result references");
    }
    return 0;
}
