// The original Gleitzeit's YAML workflow files (host/cli: yaml_file, original_format,
// original_references), read into the hub's model: the exact workflow sent, the exact
// warnings, and the exact file:line:column of each refusal.
#include <boost/test/unit_test.hpp>

#include "cli/original_format.hpp"
#include "cli/workflow_file.hpp"
#include "cli/yaml_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace cli = gleitzeit::cli;
namespace json = boost::json;

// A 10 MB file is parsed in under a second; ASan's instrumentation (make test-sanitize)
// makes the parser several times slower, which says nothing about the release build.
#if defined(__SANITIZE_ADDRESS__)
constexpr double parse_budget_ms = 10000;
#else
constexpr double parse_budget_ms = 1000;
#endif

namespace {

cli::converted_workflow convert(const std::string& yaml) {
    return cli::from_original(cli::read_yaml(yaml, "wf.yaml"), "wf.yaml");
}

/// The workflow sent for `yaml`, as JSON text; or the error.
std::string sent(const std::string& yaml) {
    try {
        return json::serialize(convert(yaml).workflow);
    } catch (const cli::workflow_file_error& e) {
        return std::string("error: ") + e.what();
    }
}

std::string error_of(const std::string& yaml) {
    try {
        convert(yaml);
    } catch (const cli::workflow_file_error& e) {
        return e.what();
    }
    return "";
}

json::value task(const std::string& yaml, std::size_t i) {
    return convert(yaml).workflow.at("tasks").as_array().at(i);
}

} // namespace

BOOST_AUTO_TEST_SUITE(original_format)

BOOST_AUTO_TEST_CASE(protocols_come_from_methods_and_ids_are_made) {
    BOOST_TEST(sent(R"(
name: demo
tasks:
  - name: Ask
    method: llm/chat
    parameters: {model: llama3.2, messages: [{role: user, content: hi}]}
  - method: python/execute
    params: {file: count.py, timeout: 5}
  - id: echo
    method: mcp/tool.echo
  - method: plain_function
  - protocol: echo/v1
    method: echo
)") == R"({"name":"demo","tasks":[)"
           R"({"id":"task-1","name":"Ask","protocol":"llm/v1","method":"chat","params":{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}},)"
           R"({"id":"task-2","protocol":"python/v1","method":"execute","params":{"file":"count.py","timeout":5}},)"
           R"({"id":"echo","protocol":"mcp/v1","method":"tool.echo","params":{}},)"
           R"({"id":"task-3","protocol":"python/v1","method":"plain_function","params":{}},)"
           R"({"id":"task-4","protocol":"echo/v1","method":"echo","params":{}}]})");
}

BOOST_AUTO_TEST_CASE(a_made_id_never_takes_one_the_file_gives) {
    BOOST_TEST(sent("tasks:\n  - {method: llm/chat}\n  - {id: task-1, method: llm/chat}\n") ==
               R"({"tasks":[{"id":"task-2","protocol":"llm/v1","method":"chat","params":{}},)"
               R"({"id":"task-1","protocol":"llm/v1","method":"chat","params":{}}]})");
}

BOOST_AUTO_TEST_CASE(priorities_timeouts_and_retry_blocks) {
    const std::string yaml = R"(
tasks:
  - {id: a, method: llm/chat, priority: 1, timeout: 30}
  - {id: b, method: llm/chat, priority: 3, retry: {max_attempts: 2, base_delay: 5.0}}
  - {id: c, method: llm/chat, priority: URGENT, retry: {backoff: linear, jitter: false, max_delay: 20}}
  - {id: d, method: llm/chat, priority: normal}
)";
    BOOST_TEST(json::serialize(task(yaml, 0)) ==
               R"({"id":"a","protocol":"llm/v1","method":"chat","priority":"high","timeout":30,"params":{}})");
    BOOST_TEST(json::serialize(task(yaml, 1).at("retry")) ==
               R"({"max_attempts":2,"backoff":"exponential","base_delay":5E0,"max_delay":300,"jitter":2E-1})");
    BOOST_TEST(task(yaml, 1).at("priority") == "low");
    BOOST_TEST(json::serialize(task(yaml, 2).at("retry")) ==
               R"({"max_attempts":3,"backoff":"linear","base_delay":1,"max_delay":20,"jitter":0E0})");
    BOOST_TEST(task(yaml, 2).at("priority") == "urgent");
    BOOST_TEST(task(yaml, 3).at("priority") == "normal");
}

BOOST_AUTO_TEST_CASE(dependencies_and_references_by_name_or_id) {
    const std::string yaml = R"(
tasks:
  - {id: topic, name: Pick Topic, method: llm/chat}
  - {id: nums, method: python/execute}
  - {id: add, method: mcp/tool.add}
  - {id: web, method: http/get}
  - id: last
    method: python/execute
    dependencies: [Pick Topic, nums, add, web]
    params:
      context:
        topic: "${Pick Topic.response}"
        whole: "${topic.result}"
        content: "${topic.result.content}"
        numbers: "${nums.result.numbers}"
        first: "${nums.result.items[1].x}"
        printed: "${nums.output}"
        sum: "${add.result}"
        said: "${add.response}"
        page: "${web.result.json.title}"
        status: "${web.status}"
        bare: "${nums}"
        text: "Topic ${topic.response}, count ${nums.result.count}."
)";
    const auto t = task(yaml, 4);
    BOOST_TEST(json::serialize(t.at("dependencies")) == R"(["topic","nums","add","web"])");
    BOOST_TEST(json::serialize(t.at("params")) ==
               R"({"context":{"topic":"${topic.result.response}","whole":"${topic.result.response}",)"
               R"("content":"${topic.result.content}","numbers":"${nums.result.result.numbers}",)"
               R"("first":"${nums.result.result.items[1].x}","printed":"${nums.result.stdout}",)"
               R"("sum":"${add.result.result}","said":"${add.result.result}",)"
               R"("page":"${web.result.json.title}","status":"${web.result.status}",)"
               R"("bare":"${nums.result.result}",)"
               R"("text":"Topic ${topic.result.response}, count ${nums.result.result.count}."}})");
}

BOOST_AUTO_TEST_CASE(vision_with_messages_becomes_a_prompt) {
    BOOST_TEST(json::serialize(task(R"(
tasks:
  - method: llm/vision
    params:
      model: llava
      image_path: cat.png
      messages:
        - {role: system, content: Be brief.}
        - {role: user, content: "What is it?", images: [QUJD]}
)", 0).at("params")) == R"({"model":"llava","image_path":"cat.png","prompt":"What is it?",)"
                          R"("system":"Be brief.","images":["QUJD"]})");
    // A prompt given stays, and chat keeps its messages.
    BOOST_TEST(json::serialize(task("tasks:\n  - {method: llm/vision, params: {prompt: p, messages: [{role: user, content: m}]}}\n", 0)
                                   .at("params")) == R"({"prompt":"p","messages":[{"role":"user","content":"m"}]})");
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_warnings_with_their_place) {
    const auto c = convert(R"(
name: w
version: 1.0
timeout: 120
wait_for_completion: true
owner: me
tasks:
  - id: a
    method: llm/chat
    dependecies: []
    retry: {max_attempts: 2, backof: fixed}
)");
    BOOST_TEST(c.warnings.size() == 3u);
    BOOST_TEST(c.warnings.at(0) == "wf.yaml:6:1: warning: unknown workflow field 'owner', ignored");
    BOOST_TEST(c.warnings.at(1) == "wf.yaml:10:5: warning: unknown task field 'dependecies', "
                                   "ignored (did you mean 'dependencies'?)");
    BOOST_TEST(c.warnings.at(2) == "wf.yaml:11:30: warning: unknown retry field 'backof', "
                                   "ignored (did you mean 'backoff'?)");
    BOOST_TEST(c.workflow.at("version") == "1.0");
    BOOST_TEST(c.workflow.at("timeout") == 120);
}

BOOST_AUTO_TEST_CASE(yaml_features_anchors_merges_and_block_text) {
    const std::string yaml = R"(
defaults: &chat
  model: llama3.2
  temperature: 0.5
tasks:
  - id: a
    method: llm/chat
    params:
      <<: *chat
      temperature: 0.9
      messages:
        - role: user
          content: |
            line one
            line two
      on: yes
      none: ~
      quoted: "007"
      number: 007
)";
    BOOST_TEST(json::serialize(task(yaml, 0).at("params")) ==
               R"({"temperature":9E-1,"messages":[{"role":"user","content":"line one\nline two\n"}],)"
               R"("on":true,"none":null,"quoted":"007","number":7,"model":"llama3.2"})");
}

BOOST_AUTO_TEST_CASE(malformed_files_get_file_line_column) {
    // A workflow whose second task has the reference `r` as params.i, at 3:48.
#define REF(r)                                                                                     \
    "tasks:\n  - {id: n, method: p}\n  - {method: e, dependencies: [n], params: {i: \"" r "\"}}\n"
    const std::pair<const char*, const char*> cases[] = {
        {"", "wf.yaml:1:1: the file holds no workflow (it is empty)"},
        {"# only a comment\n", "wf.yaml:1:1: the file holds no workflow (it is empty)"},
        {"- a\n- b\n", "wf.yaml:1:1: a workflow file must be a map, not a list"},
        {"name: x\n", "wf.yaml:1:1: the workflow has no tasks"},
        {"tasks: {}\n", "wf.yaml:1:8: tasks must be a list, not a map"},
        {"tasks: []\n", "wf.yaml:1:8: the workflow has no tasks"},
        {"tasks:\n\t- id: a\n", "wf.yaml:2:2: a tab in the indentation: YAML indents with spaces only"},
        {"tasks:\n  - {id: a, method: llm/chat}\ntasks: []\n",
         "wf.yaml:3:1: duplicate key 'tasks' (first at line 1)"},
        {"tasks:\n  - {id: a, method: llm/chat}\n  - {id: a, method: llm/chat}\n",
         "wf.yaml:3:10: duplicate task id 'a'"},
        {"tasks:\n  - {id: a}\n",
         "wf.yaml:2:5: the task has no method (e.g. llm/chat, python/execute, mcp/tool.echo)"},
        {"tasks:\n  - {id: a, method: 7}\n", "wf.yaml:2:21: method must be a string, not an integer"},
        {"tasks:\n  - {id: [a], method: x}\n", "wf.yaml:2:10: id must be a string, not a list"},
        {"tasks:\n  - 7\n", "wf.yaml:2:5: a task must be a map, not an integer"},
        {"tasks:\n  - {id: a, method: x, dependencies: b}\n",
         "wf.yaml:2:38: dependencies must be a list, not a string"},
        {"tasks:\n  - {id: a, method: x, dependencies: [b]}\n",
         "wf.yaml:2:39: no task has the id or name 'b'"},
        {"tasks:\n  - {id: a, method: x, priority: 4}\n",
         "wf.yaml:2:34: priority 4 is not 1 (high), 2 (normal) or 3 (low)"},
        {"tasks:\n  - {id: a, method: x, priority: soon}\n",
         "wf.yaml:2:34: priority 'soon' is not urgent, high, normal or low"},
        {"tasks:\n  - {id: a, method: x, timeout: fast}\n",
         "wf.yaml:2:33: timeout must be a number of seconds, not a string"},
        {"tasks:\n  - {id: a, method: x, retry: 3}\n", "wf.yaml:2:31: retry must be a map, not an integer"},
        {"tasks:\n  - {id: a, method: x, retry: {backoff: random}}\n",
         "wf.yaml:2:41: backoff 'random' is not exponential, linear or fixed"},
        {"tasks:\n  - {id: a, method: x, retry: {max_attempts: 0}}\n",
         "wf.yaml:2:46: max_attempts must be an integer of at least 1"},
        {"tasks:\n  - {id: a, method: x, params: [1]}\n", "wf.yaml:2:32: params must be a map, not a list"},
        {"tasks:\n  - {id: a, method: x, params: {t: \"${b.result\"}}\n",
         "wf.yaml:2:36: an unterminated ${ in \"${b.result\""},
        {"tasks:\n  - {id: a, method: x, params: {t: \"${b.result}\"}}\n  - {id: b, method: x}\n",
         "wf.yaml:2:36: ${b.result}: task 'a' does not depend on task 'b', directly or through "
         "others, so its result may not be there yet; add it to dependencies"},
        {"tasks:\n  - {id: a, method: x, params: {t: \"${a.result}\"}}\n",
         "wf.yaml:2:36: ${a.result}: a task cannot use its own result"},
        {"tasks:\n  - {id: a, method: x, params: {t: \"${zz}\"}}\n",
         "wf.yaml:2:36: ${zz}: no task has the id or name 'zz'"},
        // The path after the task must be one the resolver reads (resolver-dag's
        // parse_references): .field steps and [digits] steps.
        {REF("${n.{}"), "wf.yaml:3:48: ${n.{}: the field '{' may not hold '{', '}' or '$'"},
        {REF("${n.a$b.c}"),
         "wf.yaml:3:48: ${n.a$b.c}: the field 'a$b' may not hold '{', '}' or '$'"},
        {REF("${n.x${n}"),
         "wf.yaml:3:48: ${n.x${n}: the field 'x${n' may not hold '{', '}' or '$'"},
        {REF("${n.n[}"), "wf.yaml:3:48: ${n.n[}: a '[' is not closed"},
        {REF("${n[1}"), "wf.yaml:3:48: ${n[1}: a '[' is not closed"},
        {REF("${n.n[x]}"),
         "wf.yaml:3:48: ${n.n[x]}: an index must be a non-negative integer, not 'x'"},
        {REF("${n.n[-1]}"),
         "wf.yaml:3:48: ${n.n[-1]}: an index must be a non-negative integer, not '-1'"},
        {REF("${n.n[]}"),
         "wf.yaml:3:48: ${n.n[]}: an index must be a non-negative integer, not ''"},
        {REF("${n[99999999999999999999999]}"),
         "wf.yaml:3:48: ${n[99999999999999999999999]}: an index must be a non-negative integer, "
         "not '99999999999999999999999'"},
        {REF("${n.n[1]x}"), "wf.yaml:3:48: ${n.n[1]x}: expected '.' or '[' after ']'"},
        {REF("${n..x}"), "wf.yaml:3:48: ${n..x} has an empty field name"},
        {REF("${n.x.}"), "wf.yaml:3:48: ${n.x.} has an empty field name"},
        {REF("${n.x[0][12].y-z}"), ""},
        {REF("${n[3]}"), ""},
        // The task's id must read back as itself in ${<id>.result...}.
        {"tasks:\n  - {id: \"n{\", name: N, method: p}\n  - {method: e, dependencies: [N], "
         "params: {i: \"${N}\"}}\n",
         "wf.yaml:3:48: ${N}: task 'n{' cannot be named in a reference: its id holds '{', '}' or "
         "'.result'"},
        {"tasks:\n  - {id: n.result, name: N, method: p}\n  - {method: e, dependencies: [N], "
         "params: {i: \"${N.x}\"}}\n",
         "wf.yaml:3:48: ${N.x}: task 'n.result' cannot be named in a reference: its id holds '{', "
         "'}' or '.result'"},
        {"tasks:\n  - {id: n.results, name: N, method: p}\n  - {method: e, dependencies: [N], "
         "params: {i: \"${N.x}\"}}\n",
         ""},
        {"type: batch\nbatch: {directory: d}\n",
         "wf.yaml:1:1: a batch workflow needs template (docs/workflows.md)"},
        {"tasks: [\n", "wf.yaml:2:1: end of sequence flow not found"},
        {"a: b: c\n", "wf.yaml:1:5: illegal map value"},
        {"tasks:\n  - {id: a, method: x}\n  - &x [*x]\n", "wf.yaml:3:5: nested deeper than 200 levels"},
        // A map that merges a list holding itself: each merge is a level.
        {"base: &base\n  - <<: *base\n", "wf.yaml:2:5: nested deeper than 200 levels"},
        {"base: &base\n  - <<: [*base]\n    name: one\n",
         "wf.yaml:1:7: a merge key (<<) takes a map or a list of maps"},
        {"wait_for_completion: sure\ntasks: [{id: a, method: x}]\n",
         "wf.yaml:1:22: wait_for_completion must be true or false, not a string"},
        {"tasks:\n  - {id: a, method: x}\n  - {id: b, method: x, dependencies: [a, a]}\n", ""},
        {"tasks:\n  - {id: a, method: x}\n  - {id: b, method: x, dependencies: [a]}\n"
         "  - {id: c, method: x, dependencies: [b], params: {t: \"${a.result}\"}}\n", ""},
        {"tasks:\n  - {id: a, method: x}\n  - {id: b, method: x, dependencies: [a, b]}\n",
         "wf.yaml:3:42: task 'b' depends on itself"},
        {"tasks:\n  - {id: a, method: x, dependencies: [c]}\n  - {id: b, method: x, dependencies: [a]}\n"
         "  - {name: C, id: c, method: x, dependencies: [b]}\n",
         "wf.yaml:2:38: dependency cycle: a -> c -> b -> a"},
    };
#undef REF
    for (const auto& [yaml, expected] : cases)
        BOOST_TEST(error_of(yaml) == expected, "for:\n" << yaml);
}

BOOST_AUTO_TEST_CASE(binary_deep_and_huge_input) {
    BOOST_TEST(error_of(std::string("tasks:\n  - id: a\x00", 17)) ==
               "wf.yaml:2:10: not a text file (a NUL byte or invalid UTF-8)");
    BOOST_TEST(error_of("name: \xff\xfe\n") ==
               "wf.yaml:1:7: not a text file (a NUL byte or invalid UTF-8)");
    std::string deep = "tasks: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
    BOOST_TEST(error_of(deep).find("wf.yaml:1:") == 0u, error_of(deep));
    std::string nested = "x:\n";
    for (int i = 1; i < 300; ++i)
        nested += std::string(2 * i, ' ') + "k:\n";
    BOOST_TEST(error_of(nested).find("nested deeper than 200 levels") != std::string::npos,
               error_of(nested));
    // About 10 MB: a thousand tasks, each with a 10 KB block of text.
    std::string big = "tasks:\n";
    const std::string line(100, 'w');
    for (int i = 0; i < 1000; ++i) {
        big += "  - id: t" + std::to_string(i) + "\n    method: llm/chat\n    params:\n      prompt: |\n";
        for (int k = 0; k < 100; ++k)
            big += "        " + line + "\n";
    }
    BOOST_TEST(big.size() > 10'000'000u);
    const auto t0 = std::chrono::steady_clock::now();
    const auto c = convert(big);
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    BOOST_TEST(c.workflow.at("tasks").as_array().size() == 1000u);
    BOOST_TEST(ms < parse_budget_ms, "10 MB took " << ms << " ms");
}

// Aliases share a node in YAML but are copied into JSON: nested ones multiply ("billion
// laughs"). A document may become at most max(100,000, 16 per byte of text) values, refused at
// the furthest place the reading had reached in the file.
BOOST_AUTO_TEST_CASE(aliases_expand_within_a_budget) {
    BOOST_TEST(cli::max_yaml_values(0) == 100'000u);
    BOOST_TEST(cli::max_yaml_values(10'000) == 160'000u);
    auto levels = [](int n) {
        std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (int i = 1; i < n; ++i) {
            const auto prev = "*a" + std::to_string(i - 1);
            yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
            for (int k = 1; k < 10; ++k)
                yaml += ", " + prev;
            yaml += "]\n";
        }
        return yaml;
    };
    // 11 + 111 + 1,111 + 11,111 values and the root: within the budget.
    BOOST_CHECK_NO_THROW(cli::read_yaml(levels(4), "wf.yaml"));
    // a4 alone is 111,111 values: refused at a4 (yaml-cpp places a node at its anchor).
    BOOST_TEST(error_of(levels(5) + "tasks: *a4\n") ==
               "wf.yaml:5:5: aliases expand to more than 100000 values");
    BOOST_TEST(error_of(levels(4) + "tasks: [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]\n") ==
               "wf.yaml:5:8: aliases expand to more than 100000 values");
}

// The hub reads a message nested at most 32 deep, and submit_workflow's wraps the workflow in
// two more (cli_parts_test's nesting_stops_where_the_hub_stops): what a YAML file becomes may
// nest 30 deep. Too deep is placed where the file wrote it: params written as parameters, a
// batch's params in its template.
BOOST_AUTO_TEST_CASE(nesting_stops_where_the_hub_stops) {
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / ("gleitzeit-deep-" + std::to_string(::getpid()));
    fs::create_directories(dir / "docs");
    std::ofstream(dir / "docs" / "a.txt") << "x";
    const auto file = (dir / "wf.yaml").string();
    auto read = [&](const std::string& yaml) -> std::string {
        std::ofstream(file) << yaml;
        try {
            cli::read_workflow_file(file);
        } catch (const cli::workflow_file_error& e) {
            return e.what();
        }
        return "";
    };
    // `n` maps, one in the other.
    auto nested = [](int n) {
        std::string s;
        for (int i = 0; i < n; ++i)
            s += "{x: ";
        s += "1";
        for (int i = 0; i < n; ++i)
            s += "}";
        return s;
    };
    const std::string why = ": nested deeper than 30 levels, the most the hub takes in a "
                            "workflow (its messages nest at most 32)";
    // params is level 4: 27 maps reach 30.
    BOOST_TEST(read("tasks:\n  - {id: a, method: x, params: " + nested(27) + "}\n") == "");
    BOOST_TEST(read("tasks:\n  - {id: a, method: x, params: " + nested(28) + "}\n") ==
               file + ":2:140" + why);
    BOOST_TEST(read("tasks:\n  - {id: a, method: x, parameters: " + nested(28) + "}\n") ==
               file + ":2:144" + why);
    BOOST_TEST(read("metadata: " + nested(29) + "\ntasks: [{id: a, method: x}]\n") == "");
    BOOST_TEST(read("metadata: " + nested(30) + "\ntasks: [{id: a, method: x}]\n") ==
               file + ":1:127" + why);
    // A template's fields are the params of each task: template.x is tasks[0].params.x, level 5.
    const std::string batch = "batch: {directory: docs}\ntemplate: {method: llm/chat, x: ";
    BOOST_TEST(read(batch + nested(26) + "}\n") == "");
    BOOST_TEST(read(batch + nested(27) + "}\n") == file + ":2:137" + why);
    fs::remove_all(dir);
}

namespace {

/// A directory with docs/{a.txt, b.txt, .hidden.txt, c.png, notes.md} and docs/sub/, and the
/// path of a workflow file in it (not written: the conversion takes the text).
std::string batch_dir() {
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / ("gleitzeit-batch-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "docs" / "sub.txt");
    for (const char* name : {"b.txt", "a.txt", ".hidden.txt", "c.png", "notes.md"})
        std::ofstream(dir / "docs" / name) << "x";
    return (dir / "batch.yaml").string();
}

std::string batch_sent(const std::string& yaml, const std::string& source) {
    try {
        return json::serialize(cli::from_original(cli::read_yaml(yaml, source), source).workflow);
    } catch (const cli::workflow_file_error& e) {
        return std::string("error: ") + e.what();
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(batch_workflows_make_a_task_per_file) {
    const auto source = batch_dir();
    BOOST_TEST(batch_sent(R"(
type: batch
batch: {directory: docs, pattern: "*.txt"}
template:
  method: llm/chat
  priority: high
  model: llama3.2
  messages: [{role: user, content: Summarise this file}]
)", source) == "{\"name\":\"Batch Processing (2 files)\",\"tasks\":["
                   R"({"id":"process-a-txt-0","name":"Process a.txt","protocol":"llm/v1","method":"chat","priority":"high",)"
                   R"("params":{"model":"llama3.2","messages":[{"role":"user","content":"Summarise this file"}],"file_path":"docs/a.txt"}},)"
                   R"({"id":"process-b-txt-1","name":"Process b.txt","protocol":"llm/v1","method":"chat","priority":"high",)"
                   R"("params":{"model":"llama3.2","messages":[{"role":"user","content":"Summarise this file"}],"file_path":"docs/b.txt"}}]})");
    // Images go to image_path under llm/vision; other files stay file_path.
    BOOST_TEST(batch_sent("name: v\nbatch: {directory: docs, pattern: \"[cn]*\"}\ntemplate: {method: llm/vision}\n", source) ==
               R"({"name":"v","tasks":[{"id":"process-c-png-0","name":"Process c.png","protocol":"llm/v1","method":"vision","params":{"image_path":"docs/c.png"}},)"
               R"({"id":"process-notes-md-1","name":"Process notes.md","protocol":"llm/v1","method":"vision","params":{"file_path":"docs/notes.md"}}]})");
    // python/v1 gets the path in context.file_path; the final task gets every result.
    BOOST_TEST(batch_sent(R"(
type: batch
protocol: python/v1
batch: {directory: docs, pattern: "a.*"}
template: {method: python/execute, file: read.py, context: {mode: words}}
final_task:
  method: llm/chat
  params: {all: "${batch.results}"}
)", source) == "{\"name\":\"Batch Processing (1 files)\",\"tasks\":["
                   R"({"id":"process-a-txt-0","name":"Process a.txt","protocol":"python/v1","method":"execute",)"
                   R"("params":{"file":"read.py","context":{"mode":"words","file_path":"docs/a.txt"}}},)"
                   R"({"id":"final","protocol":"llm/v1","method":"chat","dependencies":["process-a-txt-0"],)"
                   R"("params":{"all":["${process-a-txt-0.result.result}"]}}]})");
    BOOST_TEST(batch_sent("batch: {directory: docs, pattern: a.txt}\ntemplate: {method: llm/chat}\n"
                          "final_task: {method: llm/chat, params: {p: \"all: ${batch.results}\"}}\n", source) ==
               "error: " + source + ":3:13: ${batch.results} is a list: it must be a whole value, not part of a text");
}

BOOST_AUTO_TEST_CASE(batch_workflows_refuse_what_they_cannot_run) {
    const auto source = batch_dir();
    BOOST_TEST(batch_sent("type: batch\ntemplate: {method: llm/chat}\n", source) ==
               "error: " + source + ":1:1: a batch workflow needs batch (docs/workflows.md)");
    BOOST_TEST(batch_sent("batch: {directory: docs, pattern: \"*.pdf\"}\ntemplate: {method: llm/chat}\n", source) ==
               "error: " + source + ":1:8: no file in " +
                   (std::filesystem::path(source).parent_path() / "docs").string() + " matches '*.pdf'");
    BOOST_TEST(batch_sent("batch: {directory: nowhere}\ntemplate: {method: llm/chat}\n", source)
                   .find("error: " + source + ":1:20: cannot list ") == 0u);
    BOOST_TEST(batch_sent("type: list\nbatch: {directory: docs}\ntemplate: {method: x}\n", source) ==
               "error: " + source + ":1:7: type must be batch (or left out)");
    // An error in the template is placed at the template.
    BOOST_TEST(batch_sent("batch: {directory: docs, pattern: a.txt}\ntemplate: {method: llm/chat, priority: 9}\n", source) ==
               "error: " + source + ":2:11: priority 9 is not 1 (high), 2 (normal) or 3 (low)");
    std::filesystem::remove_all(std::filesystem::path(source).parent_path());
}

BOOST_AUTO_TEST_SUITE_END()
