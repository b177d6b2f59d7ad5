// provider-python with real python3 workers, part 1: what calls return. Inline code with
// context, captured output and its cap, scripts inside script_dirs and the ways out of them
// that are refused, `call` with allowed and refused modules, the warm pool, the spec and
// every refused config with its exact message.

#include "provider_python_fixture.hpp"


#include "gleitzeit/error.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

using namespace provider_python_test;
namespace fs = std::filesystem;

namespace {

std::string config_error(const char* config) {
    try {
        gleitzeit::provider_python p(obj(config));
    } catch (const gleitzeit::error& e) {
        return std::string(gleitzeit::to_string(e.code())) + ": " + e.what();
    }
    return "accepted";
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_python)

BOOST_AUTO_TEST_CASE(inline_code_sees_context_and_its_result_is_the_task_result) {
    python_fixture f;
    f.execute("t1", "result = {'sum': context['a'] + context['b'], 'names': sorted(context)}",
              obj(R"({"context": {"a": 2, "b": 40}})"));
    gleitzeit::task_result r = f.wait("t1");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(json::serialize(*r.result) ==
               R"({"result":{"sum":42,"names":["a","b"]},"stdout":"","stderr":""})");
    BOOST_TEST(r.task_id == "t1");
    BOOST_TEST(r.provider == "provider-python");
    // Without a context the variable is an empty dict; without `result`, the result is null.
    f.execute("t2", "assert context == {}");
    BOOST_TEST(json::serialize(*f.wait("t2").result) == R"({"result":null,"stdout":"","stderr":""})");
    BOOST_TEST(f.reentered == 0);
}

BOOST_AUTO_TEST_CASE(stdout_and_stderr_are_captured_from_python_fds_and_subprocesses) {
    python_fixture f;
    f.execute("out", "import os, subprocess, sys\n"
                     "print('hello')\n"
                     "print('careful', file=sys.stderr)\n"
                     "os.write(1, b'raw fd 1\\n')\n"
                     "subprocess.run(['echo', 'from a child'])\n"
                     "result = 'done'\n");
    gleitzeit::task_result r = f.wait("out");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(json::serialize(*r.result) ==
               R"({"result":"done","stdout":"hello\nraw fd 1\nfrom a child\n","stderr":"careful\n"})");
    // The capture starts empty for the next call.
    f.execute("next", "print('only this')");
    BOOST_TEST(json::serialize(f.wait("next").result->at("stdout")) == R"("only this\n")");
}

BOOST_AUTO_TEST_CASE(output_over_max_output_is_cut_with_a_note) {
    python_fixture f(obj(R"({"max_output": 10})"));
    f.execute("big", "print('x' * 25)\nimport sys\nsys.stderr.write('short')");
    gleitzeit::task_result r = f.wait("big");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(std::string(r.result->at("stdout").as_string()) ==
               "xxxxxxxxxx\n[output truncated: 26 bytes in all, max_output is 10]");
    BOOST_TEST(std::string(r.result->at("stderr").as_string()) == "short");
}

BOOST_AUTO_TEST_CASE(a_script_file_inside_script_dirs_runs) {
    scratch_dir d;
    d.write("scripts/double.py", "result = {'double': context['n'] * 2, 'file': __file__}\n");
    fs::create_symlink(d.path / "scripts/double.py", d.path / "scripts/alias.py");
    json::object config{{"script_dirs", json::array{(d.path / "scripts").string()}}};
    python_fixture f(config);
    const std::string real = (d.path / "scripts/double.py").string();
    f.call("rel", "execute", obj(R"({"file": "double.py", "context": {"n": 21}})"));
    f.call("abs", "execute", {{"file_path", real}, {"context", {{"n", 5}}}});
    // A symlink that stays inside is followed: the script runs under its real name.
    f.call("alias", "execute", obj(R"({"file": "alias.py", "context": {"n": 1}})"));
    BOOST_TEST(json::serialize(f.value_of("rel")) == R"({"double":42,"file":")" + real + "\"}");
    BOOST_TEST(json::serialize(f.value_of("abs")) == R"({"double":10,"file":")" + real + "\"}");
    BOOST_TEST(json::serialize(f.value_of("alias")) == R"({"double":2,"file":")" + real + "\"}");
}

BOOST_AUTO_TEST_CASE(scripts_outside_script_dirs_are_refused) {
    scratch_dir d;
    d.write("scripts/ok.py", "result = 1\n");
    d.write("outside.py", "result = 'escaped'\n");
    d.write("scripts-old/x.py", "result = 'sibling'\n");
    fs::create_symlink(d.path / "outside.py", d.path / "scripts/link.py");
    json::object config{{"script_dirs", json::array{(d.path / "scripts").string()}}};
    python_fixture f(config);
    f.call("dotdot", "execute", obj(R"({"file": "../outside.py"})"));
    f.call("link", "execute", obj(R"({"file": "link.py"})"));
    f.call("abs", "execute", {{"file", (d.path / "outside.py").string()}});
    f.call("sibling", "execute", {{"file", (d.path / "scripts-old/x.py").string()}});
    f.call("missing", "execute", obj(R"({"file_path": "nope.py"})"));
    f.call("dir", "execute", obj(R"({"file": "."})"));
    BOOST_TEST(f.error_of("dotdot") == "invalid_argument|final|execute: params.file '../outside.py' is outside script_dirs");
    BOOST_TEST(f.error_of("link") == "invalid_argument|final|execute: params.file 'link.py' is outside script_dirs");
    BOOST_TEST(f.error_of("abs") == "invalid_argument|final|execute: params.file '" + (d.path / "outside.py").string() + "' is outside script_dirs");
    BOOST_TEST(f.error_of("sibling") == "invalid_argument|final|execute: params.file '" + (d.path / "scripts-old/x.py").string() + "' is outside script_dirs");
    BOOST_TEST(f.error_of("missing") == "invalid_argument|final|execute: params.file_path 'nope.py' does not exist in script_dirs");
    BOOST_TEST(f.error_of("dir") == "invalid_argument|final|execute: params.file '.' is outside script_dirs");
    BOOST_TEST(f.reentered == 0);
}

BOOST_AUTO_TEST_CASE(without_script_dirs_no_file_runs) {
    python_fixture f;
    f.call("f", "execute", obj(R"({"file": "/etc/hostname"})"));
    BOOST_TEST(f.error_of("f") == "invalid_argument|final|execute: params.file: no script_dirs are configured, so no script file may run");
}

BOOST_AUTO_TEST_CASE(a_raise_fails_the_task_with_the_traceback_s_last_lines) {
    python_fixture f;
    f.execute("raise", "def check(x):\n    if x < 0:\n        raise ValueError(f'bad input {x}')\ncheck(-1)\n");
    BOOST_TEST(f.error_of("raise") ==
               "provider_error|final|"
               "  File \"<code>\", line 4, in <module>\n"
               "    check(-1)\n"
               "  File \"<code>\", line 3, in check\n"
               "    raise ValueError(f'bad input {x}')\n"
               "ValueError: bad input -1");
    f.execute("syntax", "x = (");
    BOOST_TEST(f.error_of("syntax").ends_with("SyntaxError: '(' was never closed"));
    f.execute("set", "result = {1, 2}");
    BOOST_TEST(f.error_of("set") ==
               "provider_error|final|the result is not JSON: Object of type set is not JSON serializable");
    // The worker that ran them is fine.
    f.execute("after", "result = 'still here'");
    BOOST_TEST(f.value_of("after") == "still here");
}

BOOST_AUTO_TEST_CASE(call_runs_functions_of_allowed_modules_only) {
    scratch_dir d;
    d.write("lib/mathx.py", "def add(a, b, scale=1):\n    return (a + b) * scale\n"
                            "class Box:\n    @staticmethod\n    def make(v):\n        return {'v': v}\n");
    json::object config{{"allowed_modules", json::array{"json", "os.path", "mathx"}},
                        {"script_dirs", json::array{(d.path / "lib").string()}}};
    python_fixture f(config);
    f.call("dumps", "call", obj(R"({"function": "json:dumps", "args": [[1, 2]], "kwargs": {"separators": [",", ":"]}})"));
    f.call("sub", "call", obj(R"({"function": "json.decoder:JSONDecoder", "args": []})"));
    f.call("join", "call", obj(R"({"function": "os.path:join", "args": ["a", "b"]})"));
    f.call("own", "call", obj(R"({"function": "mathx:add", "args": [2, 3], "kwargs": {"scale": 10}})"));
    f.call("nested", "call", obj(R"({"function": "mathx:Box.make", "args": [7]})"));
    f.call("os", "call", obj(R"({"function": "os:getcwd"})"));
    f.call("prefix", "call", obj(R"({"function": "jsonschema:validate"})"));
    f.call("shape", "call", obj(R"({"function": "json.dumps"})"));
    BOOST_TEST(f.value_of("dumps") == "[1,2]");
    // An object that is not JSON fails the call, not the worker.
    BOOST_TEST(f.error_of("sub").starts_with("provider_error|final|the result is not JSON: Object of type JSONDecoder"));
    BOOST_TEST(f.value_of("join") == "a/b");
    BOOST_TEST(f.value_of("own") == 50);
    BOOST_TEST(json::serialize(f.value_of("nested")) == R"({"v":7})");
    BOOST_TEST(f.error_of("os") == "invalid_argument|final|call: module 'os' is not in allowed_modules");
    BOOST_TEST(f.error_of("prefix") == "invalid_argument|final|call: module 'jsonschema' is not in allowed_modules");
    BOOST_TEST(f.error_of("shape") == "invalid_argument|final|call: params.function must be 'module:function', got 'json.dumps'");
}

BOOST_AUTO_TEST_CASE(params_the_schema_cannot_express_are_checked_by_the_provider) {
    python_fixture f;
    f.call("both", "execute", obj(R"({"code": "1", "file": "x.py"})"));
    f.call("none", "execute", obj(R"({"context": {}})"));
    f.call("unknown", "execute", obj(R"({"code": "1", "timeout_s": 3})"));
    f.call("type", "execute", obj(R"({"code": 5})"));
    f.call("timeout", "execute", obj(R"({"code": "1", "timeout": 0})"));
    f.call("method", "run", obj(R"({"code": "1"})"));
    BOOST_TEST(f.error_of("both") == "invalid_argument|final|execute: give exactly one of params.code, params.file and params.file_path");
    BOOST_TEST(f.error_of("none") == "invalid_argument|final|execute: give exactly one of params.code, params.file and params.file_path");
    BOOST_TEST(f.error_of("unknown") == "invalid_argument|final|execute: unknown param 'timeout_s'");
    BOOST_TEST(f.error_of("type") == "invalid_argument|final|execute: params.code must be a string, got an integer");
    BOOST_TEST(f.error_of("timeout") == "invalid_argument|final|execute: params.timeout must be from 0.001 to 86400 seconds");
    BOOST_TEST(f.error_of("method") == "not_found|final|python/v1 has no method 'run'");
    BOOST_TEST(f.reentered == 0);
}

BOOST_AUTO_TEST_CASE(the_pool_is_warm_one_worker_serves_calls_in_turn) {
    python_fixture f(obj(R"({"workers": 1})"));
    for (int i = 0; i < 3; ++i)
        f.execute("pid" + std::to_string(i), "import os\nresult = os.getpid()");
    const auto first = f.value_of("pid0");
    BOOST_TEST(f.value_of("pid1") == first);
    BOOST_TEST(f.value_of("pid2") == first);
    BOOST_TEST(f.host.gauge("workers") == 1);
    BOOST_TEST(f.host.gauge("calls_total") == 3);
    BOOST_TEST(f.host.gauge("restarts_total") == 0);
    BOOST_TEST(f.host.gauge("busy") == 0);
    // Globals of one call do not leak into the next.
    f.execute("set", "leak = 1");
    f.execute("get", "result = 'leak' in globals()");
    BOOST_TEST(f.value_of("get") == false);
}

BOOST_AUTO_TEST_CASE(spec_and_max_concurrency) {
    python_fixture f(obj(R"({"workers": 3, "max_queued": 5})"));
    BOOST_TEST(f.provider->max_concurrency() == 8u);
    auto specs = f.provider->protocols();
    BOOST_REQUIRE_EQUAL(specs.size(), 1u);
    BOOST_TEST(specs[0].id == "python/v1");
    BOOST_REQUIRE_EQUAL(specs[0].methods.size(), 2u);
    BOOST_TEST(specs[0].methods[0].name == "execute");
    BOOST_TEST(specs[0].methods[1].name == "call");
    BOOST_TEST(specs[0].methods[0].params.at("additional") == false);
    BOOST_TEST(specs[0].methods[1].params.at("function").at("required") == true);
}

BOOST_AUTO_TEST_CASE(bad_config_is_refused_naming_the_key) {
    BOOST_TEST(config_error(R"({"bogus": 1})") == "invalid_argument: provider-python: unknown config key 'bogus'");
    BOOST_TEST(config_error(R"({"workers": 0})") == "invalid_argument: provider-python: workers must be an integer from 1 to 64, got 0");
    BOOST_TEST(config_error(R"({"workers": "2"})") == "invalid_argument: provider-python: workers must be an integer from 1 to 64, got a string");
    BOOST_TEST(config_error(R"({"memory_mb": 10})") == "invalid_argument: provider-python: memory_mb must be an integer from 64 to 1048576, got 10");
    BOOST_TEST(config_error(R"({"cpu_seconds": 1.5})") == "invalid_argument: provider-python: cpu_seconds must be an integer from 1 to 86400, got a floating-point number");
    BOOST_TEST(config_error(R"({"python": "gleitzeit-no-python"})") == "invalid_argument: provider-python: python 'gleitzeit-no-python' is not found in PATH");
    BOOST_TEST(config_error(R"({"python": "/nonexistent/python3"})") == "invalid_argument: provider-python: python '/nonexistent/python3' is not an executable file");
    BOOST_TEST(config_error(R"({"python": ""})") == "invalid_argument: provider-python: python must be a non-empty string, got an empty string");
    BOOST_TEST(config_error(R"({"working_directory": 5})") == "invalid_argument: provider-python: working_directory must be a non-empty string, got an integer");
    BOOST_TEST(config_error(R"({"working_directory": "/nonexistent"})") == "invalid_argument: provider-python: working_directory '/nonexistent' is not a directory");
    BOOST_TEST(config_error(R"({"script_dirs": "/tmp"})") == "invalid_argument: provider-python: script_dirs must be an array of strings, got a string");
    BOOST_TEST(config_error(R"({"script_dirs": ["/tmp", "/nonexistent"]})") == "invalid_argument: provider-python: script_dirs[1] '/nonexistent' is not a directory");
    BOOST_TEST(config_error(R"({"allowed_modules": ["json", "os; rm"]})") == "invalid_argument: provider-python: allowed_modules[1] 'os; rm' is not a module name");
    BOOST_TEST(config_error(R"({"allowed_modules": [3]})") == "invalid_argument: provider-python: allowed_modules[0] must be a non-empty string, got an integer");
    BOOST_TEST(config_error(R"({"environment": 5})") == "invalid_argument: provider-python: environment must be a table of strings, got an integer");
    BOOST_TEST(config_error(R"({"environment": {"A": 1}})") == "invalid_argument: provider-python: environment.A must be a string, got an integer");
    BOOST_TEST(config_error(R"({"environment": {"A=B": "x"}})") == "invalid_argument: provider-python: environment: 'A=B' is not a variable name");
    BOOST_TEST(config_error(R"({"workers": 1, "max_output": 0, "open_files": 64, "cpu_seconds": 5})") == "accepted");
}

BOOST_AUTO_TEST_SUITE_END()
