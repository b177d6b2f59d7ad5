// The parts of `gleitzeit` that need no hub (host/cli: workflow files, progress, tables),
// with exact texts: the positions in file errors, the lines a pipe gets, the table layout.
#define BOOST_TEST_MODULE gleitzeit_cli_parts
#include <boost/test/unit_test.hpp>

#include "cli/progress.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "cli/terminal.hpp"
#include "cli/workflow_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sstream>
#include <string>

namespace cli = gleitzeit::cli;
namespace json = boost::json;

namespace {

/// The message parse_workflow throws for `text`, or "" when it reads.
std::string error_of(const std::string& text, bool is_json) {
    try {
        cli::parse_workflow(text, is_json ? "wf.json" : "wf.toml", is_json);
    } catch (const cli::workflow_file_error& e) {
        return e.what();
    }
    return "";
}

json::object obj(const char* text) {
    return json::parse(text).as_object();
}

} // namespace

BOOST_AUTO_TEST_SUITE(workflow_files)

BOOST_AUTO_TEST_CASE(toml_becomes_the_workflow_json) {
    auto w = cli::parse_workflow(R"(
name = "demo"
on_failure = "continue"
[[tasks]]
id = "a"
protocol = "echo/v1"
method = "echo"
priority = "high"
timeout = 2.5
params = { n = 21, list = [1, "two", { deep = true }], when = 2026-11-28T10:00:00Z }
[[tasks]]
id = "b"
protocol = "echo/v1"
method = "echo"
dependencies = ["a"]
[tasks.parameters]
text = "${a.result.n}"
[tasks.retry]
max_attempts = 3
base_delay_ms = 100
)",
                                 "wf.toml", false);
    BOOST_TEST(json::serialize(w) == json::serialize(json::parse(R"({
        "name": "demo", "on_failure": "continue",
        "tasks": [
          {"id": "a", "method": "echo",
           "params": {"list": [1, "two", {"deep": true}], "n": 21, "when": "2026-11-28T10:00:00Z"},
           "priority": "high", "protocol": "echo/v1", "timeout": 2.5},
          {"dependencies": ["a"], "id": "b", "method": "echo",
           "parameters": {"text": "${a.result.n}"}, "protocol": "echo/v1",
           "retry": {"base_delay_ms": 100, "max_attempts": 3}}]})")));
}

BOOST_AUTO_TEST_CASE(toml_errors_name_file_line_and_column) {
    BOOST_TEST(error_of("name = \"x\"\n[[tasks]]\nid = \"a\"\nprotocol = echo\n", false) ==
               "wf.toml:4:12: Error while parsing value: could not determine value type");
    BOOST_TEST(error_of("nmae = \"x\"\n", false) ==
               "wf.toml:1:1: unknown key 'nmae' in the workflow (did you mean 'name'?)");
    BOOST_TEST(
        error_of("[[tasks]]\nid = \"a\"\n  dependecies = []\n", false) ==
        "wf.toml:3:3: unknown key 'dependecies' in [[tasks]] (did you mean 'dependencies'?)");
    BOOST_TEST(error_of("[[tasks]]\nid = \"a\"\n[tasks.retry]\nmax_atempts = 2\n", false) ==
               "wf.toml:4:1: unknown key 'max_atempts' in [tasks.retry] (did you mean "
               "'max_attempts'?)");
    BOOST_TEST(error_of("[[tasks]]\nid = \"a\"\nparams = 3\n", false) ==
               "wf.toml:3:10: 'params' must be a table");
    BOOST_TEST(error_of("tasks = 3\n", false).starts_with("wf.toml:1:9: "));
    BOOST_TEST(error_of("[[tasks]]\nid = \"a\"\nparams = { x = nan }\n", false) ==
               "wf.toml:3:16: 'workflow.tasks[].params.x' must be a finite number (JSON has no inf "
               "or nan)");
}

BOOST_AUTO_TEST_CASE(json_is_taken_as_it_is) {
    auto w = cli::parse_workflow(R"({"name": "j", "tasks": [{"id": "a", "params": {"x": [1]}}]})",
                                 "wf.json", true);
    BOOST_TEST(json::serialize(w) == R"({"name":"j","tasks":[{"id":"a","params":{"x":[1]}}]})");
}

BOOST_AUTO_TEST_CASE(json_syntax_errors_name_line_and_column) {
    BOOST_TEST(error_of("{\"tasks\": [\n  {\"id\": \"a\",}\n]}", true) ==
               "wf.json:2:14: syntax error");
    // A multi-byte character takes one column.
    BOOST_TEST(error_of("{\"name\": \"grüße\" \"x\"}", true) == "wf.json:1:18: syntax error");
    BOOST_TEST(error_of("{\"tasks\": [\n", true) == "wf.json:2:1: incomplete JSON");
    BOOST_TEST(error_of("{} x", true) == "wf.json:1:4: extra data");
    BOOST_TEST(error_of("[]", true) ==
               "wf.json: a workflow is a JSON object, this file holds an array");
}

// The parser reads a number beyond a double's range as infinity, which JSON cannot write:
// sent, it would make the hub refuse the message. TOML refuses inf and nan likewise.
BOOST_AUTO_TEST_CASE(json_numbers_beyond_a_double_are_refused_by_path) {
    BOOST_TEST(error_of(R"({"tasks": [{"id": "a", "params": {"x": [1, -1e400]}}]})", true) ==
               "wf.json: workflow.tasks[0].params.x[1]: a number beyond a double's range (JSON "
               "has no inf)");
    BOOST_TEST(error_of(R"({"metadata": {"n": )" + std::string(400, '9') + "}}", true) ==
               "wf.json: workflow.metadata.n: a number beyond a double's range (JSON has no inf)");
    BOOST_TEST(
        error_of(R"({"metadata": {"n": 1e308, "m": )" + std::string(300, '9') + "}}", true) == "");
}

BOOST_AUTO_TEST_CASE(json_unknown_keys_are_named_by_path) {
    BOOST_TEST(error_of(R"({"tasks": [{"id": "a"}, {"id": "b", "protocl": "x"}]})", true) ==
               "wf.json: workflow.tasks[1]: unknown key 'protocl' (did you mean 'protocol'?)");
    BOOST_TEST(error_of(R"({"tasks": [{"id": "a", "retry": {"jiter": 0}}]})", true) ==
               "wf.json: workflow.tasks[0].retry: unknown key 'jiter' (did you mean 'jitter'?)");
    BOOST_TEST(error_of(R"({"title": "x"})", true) == "wf.json: workflow: unknown key 'title'");
    // Values are the hub's to check.
    BOOST_TEST(error_of(R"({"tasks": [7, {"id": 3}]})", true) == "");
}

// The hub reads a message nested at most 32 deep (host/sio/protocol/json_depth.hpp) and
// submit_workflow's is [event, {workflow: ...}]: a workflow nested deeper than 30 (the
// workflow 1, tasks 2, a task 3, its params 4) is refused here, at the first table or array
// too deep, instead of by the hub, which closes the connection on it.
BOOST_AUTO_TEST_CASE(nesting_stops_where_the_hub_stops) {
    // params with `n` tables in all, params the first: 3 + n levels.
    auto toml_params = [](int n) {
        std::string s = "[[tasks]]\nid = \"a\"\nparams = ";
        for (int i = 0; i < n; ++i)
            s += "{ x = ";
        s += "[1]";
        for (int i = 0; i < n; ++i)
            s += " }";
        return s + "\n";
    };
    auto json_params = [](int n) {
        std::string s = R"({"tasks": [{"id": "a", "params": )";
        for (int i = 0; i < n; ++i)
            s += R"({"x": )";
        s += "1";
        for (int i = 0; i < n; ++i)
            s += "}";
        return s + "}]}";
    };
    const std::string why = ": nested deeper than 30 levels, the most the hub takes in a "
                            "workflow (its messages nest at most 32)";
    // The array [1] inside the 26th table is level 30; inside the 27th, 31.
    BOOST_TEST(error_of(toml_params(26), false) == "");
    BOOST_TEST(error_of(toml_params(27), false) == "wf.toml:3:172" + why);
    BOOST_TEST(error_of(json_params(27), true) == "");
    BOOST_TEST(error_of(json_params(28), true) == "wf.json:1:196" + why);
    // Metadata and arrays count alike: the workflow's metadata is level 2.
    BOOST_TEST(error_of("metadata = " + std::string(30, '[') + std::string(30, ']') + "\n",
                        false) == "wf.toml:1:41" + why);
    BOOST_TEST(error_of(R"({"metadata": )" + std::string(30, '[') + std::string(30, ']') + "}",
                        true) == "wf.json:1:43" + why);
    BOOST_TEST(
        error_of("metadata = " + std::string(29, '[') + std::string(29, ']') + "\n", false) == "");
    // What the TOML reader takes, the JSON reader takes too.
    auto deepest = cli::parse_workflow(toml_params(26), "wf.toml", false);
    BOOST_TEST(error_of(json::serialize(deepest), true) == "");
}

BOOST_AUTO_TEST_CASE(files_are_told_apart_by_extension) {
    auto refused = [](const std::string& path) {
        try {
            cli::read_workflow_file(path);
        } catch (const cli::workflow_file_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    BOOST_TEST(refused("/nonexistent/wf.yml.txt") ==
               "/nonexistent/wf.yml.txt: a workflow file ends in .yaml, .yml, .toml or .json (or "
               "is - for JSON on standard input)");
    BOOST_TEST(refused("/nonexistent/wf.yaml") ==
               "/nonexistent/wf.yaml: cannot be read: No such file or directory");
    BOOST_TEST(refused("/nonexistent/wf.toml") ==
               "/nonexistent/wf.toml: cannot be read: No such file or directory");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(output)

BOOST_AUTO_TEST_CASE(tables_align_columns_and_clip_on_a_terminal) {
    cli::table t({"TASK", "STATE", "RESULT"});
    t.add({"a", "completed", "{\"text\":\"héllo\"}"});
    t.add({"longer", "skipped", ""});
    std::ostringstream whole, clipped;
    t.print(whole, 0);
    BOOST_TEST(whole.str() == "TASK    STATE      RESULT\n"
                              "a       completed  {\"text\":\"héllo\"}\n"
                              "longer  skipped\n");
    t.print(clipped, 25);
    BOOST_TEST(clipped.str() == "TASK    STATE      RESULT\n"
                                "a       completed  {\"tex…\n"
                                "longer  skipped\n");
}

BOOST_AUTO_TEST_CASE(clip_counts_characters_not_bytes) {
    BOOST_TEST(cli::display_width("grüße") == 5u);
    BOOST_TEST(cli::clip("grüße!", 5) == "grüß…");
    BOOST_TEST(cli::clip("grüße", 5) == "grüße");
    BOOST_TEST(cli::clip("anything", 0) == "anything");
}

BOOST_AUTO_TEST_CASE(errors_read_as_code_and_message) {
    BOOST_TEST(cli::error_text(
                   json::parse(R"({"code":"timeout","message":"no answer","retryable":true})")) ==
               "timeout: no answer");
    BOOST_TEST(cli::error_text(json::parse(R"({"message":"only this"})")) == "only this");
    BOOST_TEST(cli::error_text(json::parse(R"("plain")")) == "plain");
    BOOST_TEST(cli::error_text(json::parse(R"({"other":1})")) == R"({"other":1})");
}

BOOST_AUTO_TEST_CASE(results_follow_the_files_order_then_the_hubs) {
    auto w = obj(R"({"id":"w1","name":"n","state":"failed","tasks":{
        "a":{"state":"completed","attempt":1,"result":{"x":1}},
        "b":{"state":"failed","attempt":2,"error":{"code":"provider_error","message":"boom"}},
        "c":{"state":"skipped","attempt":0}}})");
    std::ostringstream out;
    cli::print_results(out, w, {"c", "a"}, 0);
    BOOST_TEST(out.str() == "TASK  STATE      RESULT\n"
                            "c     skipped\n"
                            "a     completed  {\"x\":1}\n"
                            "b     failed     provider_error: boom\n");
    BOOST_TEST(cli::workflow_line(w) == "workflow w1 (n): failed");
    std::ostringstream summary;
    cli::print_summary(summary, w, {}, 0);
    BOOST_TEST(summary.str() == "3 tasks: completed 1, failed 1, skipped 1\n"
                                "TASK  STATE   ERROR\n"
                                "b     failed  provider_error: boom\n"
                                "every task's result: gleitzeit results w1\n");
    w["version"] = "1.2";
    w["description"] = "counts words";
    BOOST_TEST(cli::workflow_line(w) == "workflow w1 (n 1.2): failed\n  counts words");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(progress_view)

BOOST_AUTO_TEST_CASE(a_pipe_gets_one_plain_line_per_event) {
    std::ostringstream out;
    cli::progress p(out, {"a", "b"}, 0);
    p.on_event("workflow_started", obj(R"({"workflow_id":"w1","name":"demo","tasks":2})"));
    p.on_event("task_started",
               obj(R"({"workflow_id":"w1","task_id":"a","provider":"echo","attempt":1})"));
    p.on_event("task_retrying",
               obj(R"({"workflow_id":"w1","task_id":"a","attempt":1,"delay_ms":1500,
                                        "error":{"code":"timeout","message":"slow"}})"));
    p.on_event("task_started",
               obj(R"({"workflow_id":"w1","task_id":"a","provider":"echo","attempt":2})"));
    p.on_event("task_completed", obj(R"({"workflow_id":"w1","task_id":"a","result":{"v":1}})"));
    p.on_event(
        "task_failed",
        obj(R"({"workflow_id":"w1","task_id":"b","error":{"code":"provider_error","message":"no"}})"));
    p.on_event("something_else", obj(R"({"workflow_id":"w1"})"));
    BOOST_TEST(!p.ended());
    p.on_event(
        "workflow_failed",
        obj(R"({"workflow_id":"w1","state":"failed","results":{"a":{"v":1}},"reason":"a task failed"})"));
    p.finish();
    BOOST_TEST(p.ended());
    BOOST_TEST(
        out.str() ==
        "workflow w1 (demo) started: 2 tasks  (0/2 done: pending 2)\n"
        "a started on echo  (0/2 done: executing 1, pending 1)\n"
        "a attempt 1 failed, retrying in 1.5 s: timeout: slow  (0/2 done: retrying 1, pending 1)\n"
        "a started on echo (attempt 2)  (0/2 done: executing 1, pending 1)\n"
        "a completed  (1/2 done: completed 1, pending 1)\n"
        "b failed: provider_error: no  (2/2 done: completed 1, failed 1)\n"
        "workflow failed: a task failed  (2/2 done: completed 1, failed 1)\n");
    BOOST_TEST(
        json::serialize(p.as_workflow("w1")) ==
        R"({"id":"w1","name":"demo","tasks":{"a":{"state":"completed","attempt":2,"result":{"v":1}},)"
        R"("b":{"state":"failed","attempt":0,"error":{"code":"provider_error","message":"no"}}},"state":"failed"})");
}

// task_progress text is printed once a line is whole, and the rest when the task ends;
// other progress is a line of its own; progress of a task not in the workflow is ignored.
BOOST_AUTO_TEST_CASE(streamed_text_is_printed_a_line_at_a_time) {
    std::ostringstream out;
    cli::progress p(out, {"a", "b"}, 0);
    auto piece = [&](const char* task, const char* text) {
        json::object o{{"workflow_id", "w1"}, {"task_id", task}, {"text", text}};
        p.on_event("task_progress", o);
    };
    piece("a", "Hello, ");
    piece("a", "world.\nSecond");
    piece("x", "not ours\n");
    p.on_event("task_progress",
               obj(R"({"workflow_id":"w1","task_id":"b","progress":3,"total":10,"message":"step 3"})"));
    piece("a", " line");
    p.on_event("task_completed", obj(R"({"workflow_id":"w1","task_id":"a","result":{}})"));
    BOOST_TEST(out.str() == "a: Hello, world.\n"
                            "b progress 3/10: step 3\n"
                            "a: Second line\n"
                            "a completed  (1/2 done: completed 1, pending 1)\n");
    // On a terminal the line being written shows at the end of the bar.
    std::ostringstream tty;
    cli::progress q(tty, {"a"}, 120);
    q.on_event("task_progress", obj(R"({"workflow_id":"w1","task_id":"a","text":"Once upon"})"));
    BOOST_TEST(tty.str().ends_with("  pending 1  0.0 s  a: Once upon"), tty.str());
}

BOOST_AUTO_TEST_CASE(a_terminal_gets_one_line_redrawn) {
    std::ostringstream out;
    cli::progress p(out, {"a", "b"}, 80);
    p.on_event("workflow_started", obj(R"({"workflow_id":"w1","name":"demo","tasks":2})"));
    p.on_event("task_completed", obj(R"({"workflow_id":"w1","task_id":"a","result":1})"));
    // Events redraw at most ten times a second; the wait's tick draws what they skipped.
    BOOST_TEST(out.str().find("1/2") == std::string::npos);
    p.tick();
    p.on_event(
        "workflow_cancelled",
        obj(R"({"workflow_id":"w1","state":"cancelled","results":{"a":1},"reason":"cancelled by request"})"));
    p.finish();
    auto text = out.str();
    BOOST_TEST(text.find("\r\x1b[Kworkflow w1 (demo) started: 2 tasks\n") == 0u);
    BOOST_TEST(
        text.find("\r\x1b[Kdemo [##########----------] 1/2  completed 1  pending 1  0.0 s") !=
        std::string::npos);
    BOOST_TEST(text.find("\r\x1b[Kworkflow cancelled: cancelled by request\n") !=
               std::string::npos);
    // The task that had not run counts as cancelled; the last line ends the bar.
    BOOST_TEST(text.ends_with(
        "\r\x1b[Kdemo [####################] 2/2  completed 1  cancelled 1  0.0 s\n"));
}

BOOST_AUTO_TEST_SUITE_END()
