#include "workflow_file.hpp"

#include "original_format.hpp"
#include "toml/reader.hpp"
#include "yaml_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string_view>
#include <vector>

namespace gleitzeit::cli {
namespace {

namespace json = boost::json;
using toml_file::did_you_mean;
using toml_reader = toml_file::reader;

// The keys the hub reads (plugin-api/src/types.cpp). The hub skips any other key, so a
// misspelt `dependecies` would silently run a task too early: refuse it here instead.
const std::vector<std::string_view> workflow_keys{
    "id", "name", "on_failure", "tasks", "description", "version", "metadata", "timeout",
    "timeout_ms"};
const std::vector<std::string_view> task_keys{"id",         "name",       "protocol",
                                              "method",     "params",     "parameters",
                                              "dependencies", "priority", "timeout",
                                              "timeout_ms", "retry",      "metadata"};
const std::vector<std::string_view> retry_keys{"max_attempts",  "backoff",   "base_delay",
                                               "base_delay_ms", "max_delay", "max_delay_ms",
                                               "jitter"};

bool known(const std::vector<std::string_view>& keys, std::string_view key) {
    for (auto k : keys)
        if (k == key)
            return true;
    return false;
}

/// Why a workflow nested deeper than max_workflow_depth is refused, in every format.
std::string too_deep() {
    return "nested deeper than " + std::to_string(max_workflow_depth) +
           " levels, the most the hub takes in a workflow (its messages nest at most " +
           std::to_string(sio::max_json_depth) + ")";
}

// --- TOML ---

/// Fails at the first key of `t` that is not in `keys`; `where` names the table.
void check_keys(const toml_reader& r, const toml::table& t, const std::string& where,
                const std::vector<std::string_view>& keys) {
    std::map<std::string, toml_reader::field> fields;
    for (auto k : keys)
        fields.emplace(std::string(k), [](const toml::node&) {});
    r.fields(t, where, fields);
}

/// Fails at the first table or array of `n` nested deeper than a workflow may be; `depth` is
/// n's level, the workflow's table being 1. table_to_json keeps the nesting as it is.
void check_depth(const toml_reader& r, const toml::node& n, std::size_t depth) {
    const auto* table = n.as_table();
    const auto* array = n.as_array();
    if (!table && !array)
        return;
    if (depth > max_workflow_depth)
        r.fail(n.source(), too_deep());
    if (table)
        for (const auto& [key, value] : *table)
            check_depth(r, value, depth + 1);
    else
        for (const auto& value : *array)
            check_depth(r, value, depth + 1);
}

json::object parse_toml(const std::string& text, const std::string& source) {
    try {
        const auto root = toml_file::parse(text, source);
        toml_reader r(source);
        check_keys(r, root, "the workflow", workflow_keys);
        if (const auto* tasks = root.get("tasks")) {
            for (const auto& t : r.tables(*tasks, "tasks", "[[tasks]]")) {
                const auto& task = *t.as_table();
                check_keys(r, task, "[[tasks]]", task_keys);
                for (const char* params : {"params", "parameters"})
                    if (const auto* p = task.get(params))
                        r.table(*p, params);
                if (const auto* retry = task.get("retry"))
                    check_keys(r, r.table(*retry, "retry"), "[tasks.retry]", retry_keys);
            }
        }
        check_depth(r, root, 1);
        return toml_file::table_to_json(r, root, "workflow");
    } catch (const toml_file::error& e) {
        throw workflow_file_error(e.what());
    }
}

// --- JSON ---

/// Nested deeper than a workflow may be is an error of the parser, at the bracket too deep.
json::parse_options json_options() {
    json::parse_options o;
    o.max_depth = max_workflow_depth;
    return o;
}

/// "line:column" (both from 1) of byte `offset` in `text`.
std::string position(std::string_view text, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n')
            ++line, column = 1;
        else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
            ++column;
    }
    return std::to_string(line) + ":" + std::to_string(column);
}

/// Where the JSON in `text` goes wrong. Boost.JSON reports what but not where, so feed the
/// text again one byte at a time: the byte that fails is the place. Runs only for a bad file.
std::string locate_json_error(const std::string& text, const std::string& source) {
    json::stream_parser p({}, json_options());
    boost::system::error_code ec;
    std::size_t i = 0;
    for (; i < text.size(); ++i) {
        p.write(&text[i], 1, ec);
        if (ec)
            break;
    }
    if (!ec)
        p.finish(ec); // the text ended too early
    return source + ":" + position(text, i) + ": " +
           (ec == json::error::too_deep ? too_deep() : ec.message());
}

void check_json_keys(const json::object& o, const std::string& where,
                     const std::vector<std::string_view>& keys, const std::string& source) {
    for (const auto& [key, value] : o)
        if (!known(keys, key))
            throw workflow_file_error(source + ": " + where + ": unknown key '" + std::string(key) +
                                      "'" + did_you_mean(key, keys));
}

/// Whether `v` holds a number beyond a double's range; `path` becomes the first one's
/// ("workflow.tasks[0].params.x"). The parser reads 1e400 as infinity, which JSON cannot
/// write: the hub could not read the workflow sent.
bool beyond_double(const json::value& v, std::string& path) {
    if (const auto* d = v.if_double())
        return !std::isfinite(*d);
    const auto length = path.size();
    if (const auto* o = v.if_object()) {
        for (const auto& [key, value] : *o) {
            path += "." + std::string(key);
            if (beyond_double(value, path))
                return true;
            path.resize(length);
        }
    } else if (const auto* a = v.if_array()) {
        for (std::size_t i = 0; i < a->size(); ++i) {
            path += "[" + std::to_string(i) + "]";
            if (beyond_double((*a)[i], path))
                return true;
            path.resize(length);
        }
    }
    return false;
}

json::object parse_json(const std::string& text, const std::string& source) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, {}, json_options());
    if (ec)
        throw workflow_file_error(locate_json_error(text, source));
    if (!v.is_object())
        throw workflow_file_error(source + ": a workflow is a JSON object, this file holds " +
                                  std::string(v.is_array() ? "an array" : "no object"));
    auto& root = v.as_object();
    check_json_keys(root, "workflow", workflow_keys, source);
    if (const auto* tasks = root.if_contains("tasks"); tasks && tasks->is_array()) {
        const auto& list = tasks->get_array();
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto* task = list[i].if_object();
            if (!task)
                continue; // the hub names the wrong type
            auto at = "workflow.tasks[" + std::to_string(i) + "]";
            check_json_keys(*task, at, task_keys, source);
            if (const auto* retry = task->if_contains("retry"); retry && retry->is_object())
                check_json_keys(retry->get_object(), at + ".retry", retry_keys, source);
        }
    }
    if (std::string at = "workflow"; beyond_double(v, at))
        throw workflow_file_error(source + ": " + at +
                                  ": a number beyond a double's range (JSON has no inf)");
    return std::move(root);
}

// --- YAML ---

/// Whether `o` (at level `depth`) holds an array or object nested deeper than a workflow may
/// be, or is one. `path` becomes the first one's, written as yaml_document writes paths
/// ("tasks[0].params.x").
bool nested_too_deep(const json::object& o, std::size_t depth, std::string& path);

bool nested_too_deep(const json::value& v, std::size_t depth, std::string& path) {
    if (const auto* o = v.if_object())
        return nested_too_deep(*o, depth, path);
    const auto* a = v.if_array();
    if (!a)
        return false;
    if (depth > max_workflow_depth)
        return true;
    const auto length = path.size();
    for (std::size_t i = 0; i < a->size(); ++i) {
        path += "[" + std::to_string(i) + "]";
        if (nested_too_deep((*a)[i], depth + 1, path))
            return true;
        path.resize(length);
    }
    return false;
}

bool nested_too_deep(const json::object& o, std::size_t depth, std::string& path) {
    if (depth > max_workflow_depth)
        return true;
    const auto length = path.size();
    for (const auto& [key, value] : o) {
        path += (length == 0 ? "" : ".") + std::string(key);
        if (nested_too_deep(value, depth + 1, path))
            return true;
        path.resize(length);
    }
    return false;
}

/// "line:column" in a YAML file of the value at `path` in the workflow it became: where the
/// file wrote that value, also when the conversion moved it (params written as parameters;
/// a batch's tasks made from template, whose fields are their params, and from final_task),
/// else the nearest enclosing value the file has.
std::string yaml_position(const yaml_document& doc, const std::string& path) {
    std::vector<std::string> candidates{path};
    if (path.starts_with("tasks[")) {
        const auto close = path.find(']');
        const auto rest = path.substr(close + 1);
        const bool in_params =
            rest == ".params" || rest.starts_with(".params.") || rest.starts_with(".params[");
        const auto in_params_rest = in_params ? rest.substr(7) : std::string();
        for (const auto& task : {path.substr(0, close + 1), std::string("final_task")}) {
            candidates.push_back(task + rest);
            if (in_params)
                candidates.push_back(task + ".parameters" + in_params_rest);
        }
        if (in_params)
            candidates.push_back("template" + in_params_rest);
    }
    // The candidate found deepest is the one the file wrote.
    const std::string* best = nullptr;
    std::size_t best_length = 0;
    for (auto c : candidates) {
        for (;;) {
            if (auto it = doc.where.find(c); it != doc.where.end()) {
                if (!best || c.size() > best_length)
                    best = &it->second, best_length = c.size();
                break;
            }
            if (c.empty())
                break;
            const auto cut = c.find_last_of(".[");
            c.resize(cut == std::string::npos ? 0 : cut);
        }
    }
    return best ? *best : "1:1";
}

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() > suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

json::object parse_workflow(const std::string& text, const std::string& source, bool json) {
    return json ? parse_json(text, source) : parse_toml(text, source);
}

json::object read_workflow_file(const std::string& path, std::vector<std::string>* warnings) {
    std::string text;
    if (path == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), {});
        return parse_workflow(text, "<stdin>", true);
    }
    const bool json = ends_with(path, ".json");
    const bool yaml = ends_with(path, ".yaml") || ends_with(path, ".yml");
    if (!json && !yaml && !ends_with(path, ".toml"))
        throw workflow_file_error(path + ": a workflow file ends in .yaml, .yml, .toml or .json "
                                         "(or is - for JSON on standard input)");
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > max_file_bytes)
        throw workflow_file_error(path + ": " + std::to_string(size) +
                                  " bytes, over the limit of " + std::to_string(max_file_bytes) +
                                  " for a workflow file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw workflow_file_error(path + ": cannot be read: " + std::strerror(errno));
    // Read whole, not a character at a time: a workflow file may be megabytes.
    std::ostringstream whole;
    whole << in.rdbuf();
    text = std::move(whole).str();
    if (!yaml)
        return parse_workflow(text, path, json);
    const auto doc = read_yaml(text, path);
    auto converted = from_original(doc, path);
    // Checked on what the file became: a batch's template fields are two levels deeper in it.
    if (std::string at; nested_too_deep(converted.workflow, 1, at)) {
        workflow_file_error e(path + ":" + yaml_position(doc, at) + ": " + too_deep());
        e.warnings = std::move(converted.warnings);
        throw e;
    }
    if (warnings)
        *warnings = std::move(converted.warnings);
    return std::move(converted.workflow);
}

} // namespace gleitzeit::cli
