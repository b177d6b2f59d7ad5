// The native workflow files of the CLI (host/cli/workflow_file.hpp): TOML, and JSON (a .json
// file or standard input). `gleitzeit run` and `validate` read them and catch
// workflow_file_error (host/cli/workflow_commands.cpp); what they produce goes to the hub as
// submit_workflow's workflow.
//
// The input is read as TOML and as JSON.
//
// Invariants:
// - parse_workflow refuses only with workflow_file_error, whose what() starts with the file
//   name, and "file:line:column" for a syntax error;
// - an accepted workflow holds only the keys a workflow, a task and a retry block have;
// - what the TOML reader accepts, written as JSON, the JSON reader accepts as the same
//   workflow (the two formats mean the same), and the JSON reader reads its own output back;
// - the hub's codec refuses the result only with gleitzeit::error(invalid_argument);
// - the result, sent as the CLI sends it ([submit_workflow, {workflow}]), is a packet the
//   hub's Socket.IO decoder takes: not nested too deep, no number JSON cannot write.

#include "cli/workflow_file.hpp"

#include <gleitzeit/error.hpp>
#include <gleitzeit/types.hpp>

#include "fuzz_check.hpp"
#include "workflow_check.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace {

namespace json = boost::json;
namespace cli = gleitzeit::cli;
using gleitzeit::fuzz::check_hub_reads;
using gleitzeit::fuzz::check_sendable;
using gleitzeit::fuzz::same_json;

const std::set<std::string_view> workflow_keys{"id",       "name",        "on_failure",
                                               "tasks",    "description", "version",
                                               "metadata", "timeout",     "timeout_ms"};
const std::set<std::string_view> task_keys{"id",      "name",       "protocol",     "method",
                                           "params",  "parameters", "dependencies", "priority",
                                           "timeout", "timeout_ms", "retry",        "metadata"};
const std::set<std::string_view> retry_keys{"max_attempts",  "backoff",   "base_delay",
                                            "base_delay_ms", "max_delay", "max_delay_ms",
                                            "jitter"};

bool keys_within(const json::object& o, const std::set<std::string_view>& keys) {
    for (const auto& kv : o)
        if (!keys.count(kv.key()))
            return false;
    return true;
}

void check_keys(const json::object& w) {
    FUZZ_CHECK(keys_within(w, workflow_keys));
    const auto* tasks = w.if_contains("tasks");
    if (!tasks || !tasks->is_array())
        return;
    for (const auto& t : tasks->get_array()) {
        if (!t.is_object())
            continue; // the hub names the wrong type
        FUZZ_CHECK(keys_within(t.get_object(), task_keys));
        const auto* retry = t.get_object().if_contains("retry");
        if (retry && retry->is_object())
            FUZZ_CHECK(keys_within(retry->get_object(), retry_keys));
    }
}

std::optional<json::object> read(const std::string& text, const std::string& source, bool as_json) {
    try {
        return cli::parse_workflow(text, source, as_json);
    } catch (const cli::workflow_file_error& e) {
        FUZZ_CHECK(std::string_view(e.what()).starts_with(source + ":"));
        return std::nullopt;
    }
}

void check_workflow(const json::object& w) {
    check_keys(w);
    check_sendable(w);
    auto as_json = read(json::serialize(w), "again.json", true);
    FUZZ_CHECK(as_json.has_value());
    FUZZ_CHECK(same_json(*as_json, w));
    check_hub_reads(w);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        if (auto w = read(text, "workflow.toml", false))
            check_workflow(*w);
        if (auto w = read(text, "workflow.json", true))
            check_workflow(*w);
    } catch (...) {
        gleitzeit::fuzz::escaped("the workflow file reader");
    }
    return 0;
}
