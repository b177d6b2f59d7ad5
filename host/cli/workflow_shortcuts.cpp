// Workflows made from the command line, as the original Gleitzeit's CLI made them
// (docs/cli.md, "Commands"): exec runs Python code, batch asks an LLM about each file of a
// directory, init writes a starter workflow file.

#include "commands.hpp"
#include "original_format.hpp"
#include "report.hpp"
#include "table.hpp"
#include "workflow_file.hpp"
#include "yaml_file.hpp"

#include <boost/json/serialize.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

namespace gleitzeit::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const json::object* object_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

// ---- init

std::string python_starter(const std::string& name) {
    return "# " + name + ": a starter workflow (gleitzeit init --type python).\n"
           "# Run it with: gleitzeit run FILE  (on a hub that serves python/v1)\n"
           "name: " + name + "\n"
           "description: \"Python workflow: " + name + "\"\n"
           "tasks:\n"
           "  - id: numbers\n"
           "    name: Make Numbers\n"
           "    method: python/execute\n"
           "    params:\n"
           "      code: |\n"
           "        numbers = [3, 1, 4, 1, 5, 9, 2, 6]\n"
           "        result = {\"numbers\": numbers, \"count\": len(numbers)}\n"
           "  - id: stats\n"
           "    name: Sum Them\n"
           "    method: python/execute\n"
           "    dependencies: [numbers]\n"
           "    params:\n"
           "      context:\n"
           "        numbers: \"${numbers.result.numbers}\"\n"
           "      code: |\n"
           "        numbers = context[\"numbers\"]\n"
           "        result = {\"sum\": sum(numbers), \"mean\": sum(numbers) / len(numbers)}\n";
}

std::string llm_starter(const std::string& name) {
    return "# " + name + ": a starter workflow (gleitzeit init --type llm).\n"
           "# Run it with: gleitzeit run FILE  (on a hub that serves llm/v1 with a default_model;\n"
           "# or add model: to the params)\n"
           "name: " + name + "\n"
           "description: \"LLM workflow: " + name + "\"\n"
           "tasks:\n"
           "  - id: poem\n"
           "    name: Write a Poem\n"
           "    method: llm/chat\n"
           "    retry: {max_attempts: 2, base_delay: 5}\n"
           "    params:\n"
           "      temperature: 0.7\n"
           "      messages:\n"
           "        - role: user\n"
           "          content: Write a short poem about workflows that never lose a task.\n";
}

std::string mixed_starter(const std::string& name) {
    return "# " + name + ": a starter workflow (gleitzeit init --type mixed): Python makes a\n"
           "# prompt, an LLM answers it.\n"
           "# Run it with: gleitzeit run FILE  (on a hub that serves python/v1, and llm/v1 with a\n"
           "# default_model)\n"
           "name: " + name + "\n"
           "description: \"Python and LLM workflow: " + name + "\"\n"
           "tasks:\n"
           "  - id: prompt\n"
           "    name: Make Prompt\n"
           "    method: python/execute\n"
           "    priority: high\n"
           "    params:\n"
           "      code: |\n"
           "        topic = \"autumn\"\n"
           "        result = {\"topic\": topic, \"prompt\": f\"Write a haiku about {topic}.\"}\n"
           "  - id: haiku\n"
           "    name: Write Haiku\n"
           "    method: llm/chat\n"
           "    dependencies: [Make Prompt]\n"
           "    params:\n"
           "      temperature: 0.8\n"
           "      messages:\n"
           "        - role: user\n"
           "          content: \"${Make Prompt.result.prompt}\"\n";
}

// ---- batch

/// The batch as a workflow of the original format, read as a YAML file would be.
json::object batch_workflow(const batch_options& b) {
    json::object templ{{"method", b.vision ? "llm/vision" : "llm/chat"}};
    if (!b.model.empty())
        templ["model"] = b.model;
    if (b.vision)
        templ["prompt"] = b.prompt;
    else
        templ["messages"] = json::array{json::object{{"role", "user"}, {"content", b.prompt}}};
    yaml_document doc;
    doc.root = json::object{
        {"name", "batch " + b.directory + " " + b.pattern},
        {"batch", json::object{{"directory", b.directory}, {"pattern", b.pattern}}},
        {"template", std::move(templ)}};
    // The directory is relative to the current one: a "file" there, for the conversion.
    const std::string source = "batch";
    try {
        return from_original(doc, source).workflow;
    } catch (const workflow_file_error& e) {
        std::string why = e.what();
        const auto cut = why.find(": ", source.size());
        throw command_error(exit_code::usage,
                            cut == std::string::npos ? why : why.substr(cut + 2));
    }
}

/// Task id -> the file it reads, from the workflow as sent.
std::map<std::string, std::string> files_of(const json::object& workflow) {
    std::map<std::string, std::string> files;
    for (const auto& t : workflow.at("tasks").as_array()) {
        const auto& o = t.as_object();
        const auto* params = object_at(o, "params");
        auto path = params ? string_field(*params, "file_path") : "";
        if (path.empty() && params)
            path = string_field(*params, "image_path");
        files[string_field(o, "id")] = path;
    }
    return files;
}

/// The original's batch results file: JSON, or Markdown for a name ending in .md.
void write_results(const batch_options& b, const run_outcome& r,
                   const std::map<std::string, std::string>& files) {
    json::object results;
    std::size_t ok = 0;
    std::string md;
    const auto* tasks = object_at(r.workflow, "tasks");
    for (const auto& [id, path] : files) {
        const auto* t = tasks ? object_at(*tasks, id) : nullptr;
        const auto* result = t ? object_at(*t, "result") : nullptr;
        if (result) {
            ++ok;
            results[path] = {{"status", "success"}, {"content", string_field(*result, "response")}};
            md += "### ✅ " + path + "\n\n" + string_field(*result, "response") + "\n\n";
        } else {
            const auto* e = t ? t->if_contains("error") : nullptr;
            auto why = e ? error_text(*e) : std::string(t ? string_field(*t, "state") : "unknown");
            results[path] = {{"status", "failed"}, {"error", why}};
            md += "### ❌ " + path + "\n\n" + why + "\n\n";
        }
    }
    std::ofstream out(b.output);
    if (b.output.size() > 3 && b.output.compare(b.output.size() - 3, 3, ".md") == 0) {
        out << "# Batch results: " << b.directory << " " << b.pattern << "\n\n"
            << "- workflow: " << r.id << "\n- files: " << files.size() << " (successful " << ok
            << ", failed " << files.size() - ok << ")\n- prompt: " << b.prompt << "\n\n"
            << md;
    } else {
        json::object doc{
            {"workflow_id", r.id},
            {"summary", {{"total", files.size()}, {"successful", ok}, {"failed", files.size() - ok}}},
            {"parameters", {{"method", b.vision ? "llm/vision" : "llm/chat"}, {"prompt", b.prompt},
                            {"model", b.model}, {"directory", b.directory}, {"pattern", b.pattern}}},
            {"results", std::move(results)}};
        out << json::serialize(doc) << '\n';
    }
    if (!out.flush())
        throw command_error(exit_code::failed, "cannot write " + b.output);
}

} // namespace

int exec_command(const global_options& g, const std::string& code, double timeout_s) {
    if (!(timeout_s > 0 && timeout_s <= 86400))
        throw command_error(exit_code::usage, "--timeout must be from 0 to 86400 seconds");
    // The task's own timeout leaves the code its time, and python/v1 its answer.
    json::object workflow{
        {"name", "exec"},
        {"tasks", json::array{json::object{{"id", "exec"},
                                           {"protocol", "python/v1"},
                                           {"method", "execute"},
                                           {"timeout", timeout_s + 5},
                                           {"params", {{"code", code}, {"timeout", timeout_s}}}}}}};
    // Only what the code printed: exec stands in for running python3 here.
    auto r = follow_workflow(g, std::move(workflow), false, true);
    if (g.json) {
        print_outcome_json(r);
        return exit_of(r);
    }
    const auto* tasks = object_at(r.workflow, "tasks");
    const auto* t = tasks ? object_at(*tasks, "exec") : nullptr;
    if (const auto* result = t ? object_at(*t, "result") : nullptr) {
        std::cout << string_field(*result, "stdout");
        std::cerr << string_field(*result, "stderr");
        if (const auto* v = result->if_contains("result"); v && !v->is_null())
            std::cout << json::serialize(*v) << '\n';
    }
    if (const auto* e = t ? t->if_contains("error") : nullptr)
        throw command_error(exit_code::failed, "the code failed: " + error_text(*e));
    return exit_of(r);
}

int init_command(const std::string& name, const std::string& type) {
    std::string slug;
    for (char c : name)
        slug += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'
                    ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                    : '_';
    if (slug.empty())
        throw command_error(exit_code::usage, "NAME must not be empty");
    const auto file = slug + ".yaml";
    if (fs::exists(file))
        throw command_error(exit_code::usage, file + " exists already; nothing was written");
    const auto text = type == "llm"   ? llm_starter(name)
                      : type == "mixed" ? mixed_starter(name)
                                        : python_starter(name);
    std::ofstream out(file);
    if (!(out << text).flush())
        throw command_error(exit_code::failed, "cannot write " + file);
    std::cout << "wrote " << file << "; run it with: gleitzeit run " << file << '\n';
    return exit_code::ok;
}

int batch_command(const global_options& g, const batch_options& b) {
    auto workflow = batch_workflow(b);
    const auto files = files_of(workflow);
    auto r = follow_workflow(g, std::move(workflow), false);
    if (!b.output.empty())
        write_results(b, r, files);
    if (g.json) {
        print_outcome_json(r);
        return exit_of(r);
    }
    const auto* tasks = object_at(r.workflow, "tasks");
    table t({"FILE", "STATE", "ANSWER"});
    for (const auto& [id, path] : files) {
        const auto* task = tasks ? object_at(*tasks, id) : nullptr;
        const auto* result = task ? object_at(*task, "result") : nullptr;
        const auto* e = task ? task->if_contains("error") : nullptr;
        auto answer = result ? string_field(*result, "response") : e ? error_text(*e) : "";
        for (auto& c : answer)
            if (c == '\n')
                c = ' ';
        t.add({path, task ? string_field(*task, "state") : "", answer});
    }
    t.print(std::cout, r.columns);
    if (!b.output.empty())
        std::cout << "results written to " << b.output << '\n';
    return exit_of(r);
}

} // namespace gleitzeit::cli
