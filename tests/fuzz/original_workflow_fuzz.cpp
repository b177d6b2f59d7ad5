// The workflow files of the original Gleitzeit (host/cli/yaml_file.hpp, original_format.hpp):
// YAML read into JSON, then converted into the hub's workflow. `gleitzeit run x.yaml` reads
// them and catches workflow_file_error (host/cli/workflow_commands.cpp).
//
// The input is the text of a .yaml file, read by read_yaml and, written to the workspace, by
// read_workflow_file, as `gleitzeit run` reads it (read_yaml, from_original, then the checks
// on what the file became). A batch workflow lists a directory beside the file: the target
// makes one with a few files at start, and skips inputs whose batch names a directory
// outside it, so that no run depends on the machine's files.
//
// Invariants:
// - read_yaml and read_workflow_file refuse only with workflow_file_error, whose what() starts
//   with "<file>:<line>:<column>: ";
// - read_yaml makes at most max_yaml_values(size) values (16 a byte, 100,000 at least):
//   aliases share a node in YAML but are copied into JSON, so nested ones must not multiply
//   without bound;
// - a converted workflow has tasks, each with a unique id, a protocol, a method and params,
//   and dependencies that name other tasks of the workflow, without a cycle;
// - every ${...} left in params is a reference the resolver parses (resolver-dag's
//   parse_references) as one, and names a task the task depends on, directly or through
//   others;
// - the hub's codec refuses the result only with gleitzeit::error(invalid_argument);
// - the result, sent as the CLI sends it ([submit_workflow, {workflow}]), is a packet the
//   hub's Socket.IO decoder takes: not nested too deep, no number JSON cannot write.

#include "cli/original_format.hpp"
#include "cli/workflow_file.hpp"
#include "cli/yaml_file.hpp"

#include "result_reference.hpp"

#include <gleitzeit/error.hpp>
#include <gleitzeit/types.hpp>

#include "fuzz_check.hpp"
#include "workflow_check.hpp"

#include <boost/json/value_to.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;
namespace cli = gleitzeit::cli;
namespace fs = std::filesystem;

fs::path workspace; // holds the workflow file's directory and a batch's files

std::string source() {
    return (workspace / "workflow.yaml").string();
}

/// Whether the batch directory (if any) lies inside the workspace, where it is looked up.
bool batch_stays_inside(const json::value& root) {
    const auto* o = root.if_object();
    const auto* batch = o ? o->if_contains("batch") : nullptr;
    const auto* dir =
        batch && batch->is_object() ? batch->get_object().if_contains("directory") : nullptr;
    if (!dir || !dir->is_string())
        return true;
    std::string_view d(dir->get_string().data(), dir->get_string().size());
    if (d.empty() || d.starts_with('/') || d.find("..") != std::string_view::npos ||
        d.find('\0') != std::string_view::npos)
        return d.empty();
    std::error_code ec;
    return fs::is_directory(workspace / d, ec);
}

bool placed(std::string_view what) {
    auto prefix = source() + ":";
    if (!what.starts_with(prefix))
        return false;
    what.remove_prefix(prefix.size());
    auto colon = what.find(':');
    auto space = what.find(": ");
    return colon != std::string_view::npos && colon > 0 && space != std::string_view::npos &&
           space > colon + 1;
}

using graph = std::map<std::string, std::set<std::string>>;

bool reaches(const graph& g, const std::string& from, const std::string& to,
             std::set<std::string>& seen) {
    for (const auto& dep : g.at(from)) {
        if (dep == to)
            return true;
        if (seen.insert(dep).second && reaches(g, dep, to, seen))
            return true;
    }
    return false;
}

void check_params_references(const json::value& v, const graph& g, const std::string& self) {
    if (const auto* s = v.if_string()) {
        std::vector<gleitzeit::resolver_dag_detail::result_reference> refs;
        try {
            refs = gleitzeit::resolver_dag_detail::parse_references({s->data(), s->size()});
        } catch (const gleitzeit::resolver_dag_detail::malformed_reference& e) {
            gleitzeit::fuzz::broken(e.what(), __FILE__, __LINE__);
        }
        // Every "${" the converter wrote must read as a reference, not as text.
        std::size_t opened = 0;
        for (auto at = s->find("${"); at != json::string::npos; at = s->find("${", at + 2))
            ++opened;
        FUZZ_CHECK(opened == refs.size());
        for (const auto& r : refs) {
            std::set<std::string> seen;
            FUZZ_CHECK(g.count(std::string(r.task_id)) == 1);
            FUZZ_CHECK(reaches(g, self, std::string(r.task_id), seen));
        }
    } else if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            check_params_references(e, g, self);
    } else if (const auto* o = v.if_object()) {
        for (const auto& kv : *o)
            check_params_references(kv.value(), g, self);
    }
}

void check_workflow(const json::object& w) {
    const auto& tasks = w.at("tasks").as_array();
    FUZZ_CHECK(!tasks.empty());
    graph g;
    for (const auto& t : tasks) {
        const auto& o = t.as_object();
        FUZZ_CHECK(o.at("protocol").is_string() && o.at("method").is_string());
        FUZZ_CHECK(o.at("params").is_object());
        FUZZ_CHECK(g.emplace(std::string(o.at("id").as_string()), std::set<std::string>{}).second);
    }
    for (const auto& t : tasks) {
        const auto& o = t.as_object();
        std::string id(o.at("id").as_string());
        if (const auto* deps = o.if_contains("dependencies"))
            for (const auto& d : deps->as_array()) {
                FUZZ_CHECK(g.count(std::string(d.as_string())) == 1 && d != o.at("id"));
                g[id].emplace(d.as_string());
            }
    }
    for (const auto& [id, deps] : g) {
        std::set<std::string> seen;
        FUZZ_CHECK(!reaches(g, id, id, seen));
    }
    for (const auto& t : tasks)
        check_params_references(t.as_object().at("params"), g,
                                std::string(t.as_object().at("id").as_string()));
    gleitzeit::fuzz::check_hub_reads(w);
    gleitzeit::fuzz::check_sendable(w);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // One workspace per process, removed at exit: a batch lists "data" (or ".") in it.
    char templ[] = "/tmp/gleitzeit-fuzz-yaml-XXXXXX";
    if (!mkdtemp(templ))
        gleitzeit::fuzz::broken("mkdtemp failed", __FILE__, __LINE__);
    workspace = templ;
    fs::create_directory(workspace / "data");
    for (const char* name : {"a.txt", "b.png", "c.md", ".hidden"})
        std::ofstream(workspace / "data" / name) << "x\n";
    std::atexit([] {
        std::error_code ec;
        fs::remove_all(workspace, ec);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        cli::yaml_document doc;
        try {
            doc = cli::read_yaml(text, source());
            // `where` has one entry per value read.
            FUZZ_CHECK(doc.where.size() <= cli::max_yaml_values(text.size()));
            if (!batch_stays_inside(doc.root))
                return 0;
            std::ofstream(source(), std::ios::binary | std::ios::trunc) << text;
            check_workflow(cli::read_workflow_file(source()));
        } catch (const cli::workflow_file_error& e) {
            FUZZ_CHECK(placed(e.what()));
        }
    } catch (...) {
        gleitzeit::fuzz::escaped("the original format's reader");
    }
    return 0;
}
