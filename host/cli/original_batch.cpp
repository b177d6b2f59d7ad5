// Batch workflows of the original format (docs/workflows.md, "Batch workflows"): one task per
// file of a directory that matches a pattern, made from a template, and optionally a final
// task that gets all their results. The CLI lists the directory, relative to the workflow
// file (or to the current directory, as the original did, when it is not there); the paths go
// out as the file writes them (directory/name), for the providers to resolve against their
// own roots.

#include "original_context.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace gleitzeit::cli::original {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const std::vector<std::string_view> batch_fields{"directory", "pattern"};
constexpr std::string_view all_results = "${batch.results}";

bool is_image(const fs::path& p) {
    auto ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    for (const char* e : {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"})
        if (ext == e)
            return true;
    return false;
}

const json::object& map_at(context& c, const json::object& o, std::string_view key,
                           bool required) {
    static const json::object none;
    const auto* v = o.if_contains(key);
    if (!v) {
        if (required)
            c.fail("", "a batch workflow needs " + std::string(key) + " (docs/workflows.md)");
        return none;
    }
    if (!v->is_object())
        c.fail(std::string(key), std::string(key) + " must be a map");
    return v->get_object();
}

std::string text_at(context& c, const json::object& o, const std::string& path,
                    std::string_view key, std::string fallback) {
    const auto* v = o.if_contains(key);
    if (!v)
        return fallback;
    if (!v->is_string() || v->get_string().empty())
        c.fail(path + "." + std::string(key), std::string(key) + " must be a non-empty string");
    return std::string(v->get_string());
}

/// The names of the regular files in `dir` that match `pattern`, sorted. As the original's
/// glob: not recursive, and "*" does not match a name that starts with a dot.
std::vector<std::string> matching(context& c, const fs::path& dir, const std::string& pattern) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec)
        c.fail("batch.directory", "cannot list " + dir.string() + ": " + ec.message());
    std::vector<std::string> names;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec)
            c.fail("batch.directory", "cannot list " + dir.string() + ": " + ec.message());
        const auto name = it->path().filename().string();
        if (it->is_regular_file(ec) && fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0)
            names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

/// The file task's id as the original makes it: process-<name, dots as dashes>-<index>.
std::string task_id(std::string name, std::size_t i) {
    std::replace(name.begin(), name.end(), '.', '-');
    return "process-" + name + "-" + std::to_string(i);
}

/// Replaces each string that is exactly ${batch.results} with the list of the file tasks'
/// results, written as the original's whole-result references.
void put_results(context& c, json::value& v, const json::array& refs) {
    if (auto* o = v.if_object())
        for (auto& [key, value] : *o)
            put_results(c, value, refs);
    else if (auto* a = v.if_array())
        for (auto& e : *a)
            put_results(c, e, refs);
    else if (v.is_string() && v.get_string() == all_results)
        v = refs;
    else if (v.is_string() && v.get_string().find(all_results) != json::string::npos)
        c.fail("final_task", std::string(all_results) +
                                 " is a list: it must be a whole value, not part of a text");
}

} // namespace

json::object expand_batch(context& c, const json::object& root) {
    const auto& batch = map_at(c, root, "batch", true);
    const auto& templ = map_at(c, root, "template", true);
    for (const auto& [key, value] : batch)
        if (std::find(batch_fields.begin(), batch_fields.end(), key) == batch_fields.end())
            c.warn("batch." + std::string(key), "unknown batch field '" + std::string(key) +
                                                    "', ignored");
    if (const auto* type = root.if_contains("type"); type && *type != "batch")
        c.fail("type", "type must be batch (or left out)");
    if (root.contains("tasks"))
        c.warn("tasks", "a batch workflow makes its tasks from template: tasks is ignored");
    const auto directory = text_at(c, batch, "batch", "directory", "");
    if (directory.empty())
        c.fail("batch", "batch needs directory");
    const auto pattern = text_at(c, batch, "batch", "pattern", "*");
    const auto protocol = text_at(c, root, "", "protocol", "llm/v1");
    const auto method = text_at(c, templ, "template", "method", "llm/chat");
    // Beside the workflow file; else, as the original read it, from the current directory.
    auto listed = fs::path(c.source).parent_path() / directory;
    std::error_code ec;
    if (!fs::is_directory(listed, ec) && fs::is_directory(directory, ec))
        listed = directory;
    const auto names = matching(c, listed, pattern);
    if (names.empty())
        c.fail("batch", "no file in " + listed.string() + " matches '" + pattern + "'");

    json::object out;
    for (const auto& [key, value] : root)
        if (key != "type" && key != "batch" && key != "template" && key != "protocol" &&
            key != "final_task" && key != "tasks")
            out[key] = value;
    if (!out.contains("name"))
        out["name"] = "Batch Processing (" + std::to_string(names.size()) + " files)";
    json::array tasks;
    json::array refs;
    const auto at_template = c.at("template");
    for (std::size_t i = 0; i < names.size(); ++i) {
        json::object params;
        for (const auto& [key, value] : templ)
            if (key != "method" && key != "priority")
                params[key] = value;
        const auto path = directory + "/" + names[i];
        if (protocol == "python/v1") {
            auto& context = params["context"];
            if (!context.is_object())
                context = json::object();
            context.as_object()["file_path"] = path;
        } else if (method == "llm/vision" && is_image(names[i])) {
            params["image_path"] = path;
        } else {
            params["file_path"] = path;
        }
        const auto id = task_id(names[i], i);
        json::object t{{"id", id}, {"name", "Process " + names[i]}, {"protocol", protocol},
                       {"method", method}, {"params", std::move(params)}};
        if (const auto* p = templ.if_contains("priority"))
            t["priority"] = *p;
        c.extra_where["tasks[" + std::to_string(i) + "]"] = at_template;
        tasks.push_back(std::move(t));
        refs.push_back(json::string("${" + id + "}"));
    }
    if (const auto* final_task = root.if_contains("final_task")) {
        if (!final_task->is_object())
            c.fail("final_task", "final_task must be a map (a task)");
        json::value t = final_task->get_object();
        auto& o = t.as_object();
        if (!o.contains("id"))
            o["id"] = "final";
        json::array deps;
        for (const auto& e : tasks)
            deps.push_back(e.as_object().at("id"));
        o["dependencies"] = std::move(deps);
        put_results(c, t, refs);
        c.extra_where["tasks[" + std::to_string(tasks.size()) + "]"] = c.at("final_task");
        tasks.push_back(std::move(t));
    }
    out["tasks"] = std::move(tasks);
    return out;
}

} // namespace gleitzeit::cli::original
