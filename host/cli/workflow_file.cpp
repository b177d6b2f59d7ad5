#include "workflow_file.hpp"

#include "original_format.hpp"
#include "toml/reader.hpp"
#include "yaml_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include <cerrno>
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

// --- TOML ---

/// Fails at the first key of `t` that is not in `keys`; `where` names the table.
void check_keys(const toml_reader& r, const toml::table& t, const std::string& where,
                const std::vector<std::string_view>& keys) {
    std::map<std::string, toml_reader::field> fields;
    for (auto k : keys)
        fields.emplace(std::string(k), [](const toml::node&) {});
    r.fields(t, where, fields);
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
        return toml_file::table_to_json(r, root, "workflow");
    } catch (const toml_file::error& e) {
        throw workflow_file_error(e.what());
    }
}

// --- JSON ---

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
    json::stream_parser p;
    boost::system::error_code ec;
    std::size_t i = 0;
    for (; i < text.size(); ++i) {
        p.write(&text[i], 1, ec);
        if (ec)
            break;
    }
    if (!ec)
        p.finish(ec); // the text ended too early
    return source + ":" + position(text, i) + ": " + ec.message();
}

void check_json_keys(const json::object& o, const std::string& where,
                     const std::vector<std::string_view>& keys, const std::string& source) {
    for (const auto& [key, value] : o)
        if (!known(keys, key))
            throw workflow_file_error(source + ": " + where + ": unknown key '" + std::string(key) +
                                      "'" + did_you_mean(key, keys));
}

json::object parse_json(const std::string& text, const std::string& source) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
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
    return std::move(root);
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
    auto converted = from_original(read_yaml(text, path), path);
    if (warnings)
        *warnings = std::move(converted.warnings);
    return std::move(converted.workflow);
}

} // namespace gleitzeit::cli
