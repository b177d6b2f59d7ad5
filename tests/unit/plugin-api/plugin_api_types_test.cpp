// The JSON wire shapes of plugin-api/include/gleitzeit/types.hpp. Remote components in other
// languages see exactly these shapes, and a sender of a bad payload reads exactly these
// messages, so the tests pin the text, not only that something was thrown.

#include "gleitzeit/error.hpp"
#include "gleitzeit/plugin.hpp"
#include "gleitzeit/types.hpp"
#include "task_checks.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace json = boost::json;
using namespace std::chrono_literals;
using namespace gleitzeit;

namespace {

task sample_task() {
    task t;
    t.id = "t2";
    t.workflow_id = "wf-1";
    t.name = "summarise";
    t.protocol = "llm/v1";
    t.method = "generate";
    t.params = {{"prompt", "${t1.result.text}"}, {"max_tokens", 200}};
    t.dependencies = {"t1", "t0"};
    t.priority = priority::high;
    t.timeout = 45000ms;
    t.retry.max_attempts = 3;
    t.retry.kind = backoff::linear;
    t.retry.base_delay = 250ms;
    t.retry.max_delay = 8000ms;
    t.retry.jitter = 0.25;
    t.state = task_state::retry_pending;
    t.attempt = 2;
    t.due_ms = 1764000000123;
    return t;
}

using task_checks::check_same;

void check_same(const task_error& a, const task_error& b) {
    BOOST_TEST(to_string(a.code) == to_string(b.code));
    BOOST_TEST(a.message == b.message);
    BOOST_TEST(a.retryable == b.retryable);
}

/// Converts `x` to JSON and back, checks that the JSON of the copy is the same, and returns
/// the copy for field checks.
template <class T> T round_trip(const T& x) {
    json::value v = json::value_from(x);
    T back = json::value_to<T>(v);
    BOOST_TEST(json::serialize(json::value_from(back)) == json::serialize(v));
    return back;
}

std::vector<std::string> keys_of(const json::value& v) {
    std::vector<std::string> keys;
    for (const auto& kv : v.as_object())
        keys.emplace_back(kv.key());
    return keys;
}

template <class T> void parse_as(const json::value& v) {
    (void)json::value_to<T>(v);
}

/// A payload and the message value_to must refuse it with.
struct refusal {
    void (*parse)(const json::value&);
    const char* payload;
    const char* message;
};

} // namespace

BOOST_AUTO_TEST_SUITE(plugin_api_types)

BOOST_AUTO_TEST_CASE(task_exact_json) {
    json::value v = json::value_from(sample_task());
    BOOST_TEST(v == json::parse(R"({
        "id": "t2", "workflow_id": "wf-1", "name": "summarise", "protocol": "llm/v1",
        "method": "generate", "params": {"prompt": "${t1.result.text}", "max_tokens": 200},
        "dependencies": ["t1", "t0"], "priority": "high", "timeout_ms": 45000,
        "retry": {"max_attempts": 3, "backoff": "linear", "base_delay_ms": 250,
                  "max_delay_ms": 8000, "jitter": 0.25},
        "state": "retry_pending", "attempt": 2, "due_ms": 1764000000123})"));
    std::vector<std::string> order{"id",     "workflow_id",  "name",     "protocol",   "method",
                                   "params", "dependencies", "priority", "timeout_ms", "retry",
                                   "state",  "attempt",      "due_ms"};
    BOOST_TEST(keys_of(v) == order, boost::test_tools::per_element());
    std::vector<std::string> retry_order{"max_attempts", "backoff", "base_delay_ms", "max_delay_ms",
                                         "jitter"};
    BOOST_TEST(keys_of(v.at("retry")) == retry_order, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(task_round_trip) {
    check_same(round_trip(sample_task()), sample_task());
}

BOOST_AUTO_TEST_CASE(task_defaults_when_fields_are_missing) {
    task t = json::value_to<task>(json::parse(R"({"id": "only-id"})"));
    BOOST_TEST(t.id == "only-id");
    task defaults;
    defaults.id = "only-id";
    check_same(t, defaults);
    BOOST_TEST(t.params.empty());
    BOOST_TEST(t.dependencies.empty());
    BOOST_TEST(to_string(t.priority) == "normal");
    BOOST_TEST(t.timeout.count() == 30000);
    BOOST_TEST(t.retry.max_attempts == 1u);
    BOOST_TEST(to_string(t.retry.kind) == "exponential");
    BOOST_TEST(to_string(t.state) == "pending");
}

BOOST_AUTO_TEST_CASE(task_parameters_alias) {
    task t = json::value_to<task>(json::parse(R"({"id": "a", "parameters": {"text": "hi"}})"));
    BOOST_TEST(json::serialize(t.params) == R"({"text":"hi"})");
    // Written back, the field is always "params".
    json::value v = json::value_from(t);
    BOOST_TEST(v.as_object().contains("params"));
    BOOST_TEST(!v.as_object().contains("parameters"));
}

// Workflow files give durations in seconds (docs/cli.md, "Workflow files"); the wire's *_ms fields
// are the same.
BOOST_AUTO_TEST_CASE(durations_in_seconds_as_workflow_files_write_them) {
    task t = json::value_to<task>(json::parse(
        R"({"id": "a", "timeout": 2.5, "retry": {"base_delay": 0.25, "max_delay": 60}})"));
    BOOST_TEST(t.timeout.count() == 2500);
    BOOST_TEST(t.retry.base_delay.count() == 250);
    BOOST_TEST(t.retry.max_delay.count() == 60000);
    // Written back, they are the wire's milliseconds.
    BOOST_TEST(json::value_from(t).as_object().at("timeout_ms") == json::value(2500));
}

// A timer's deadline is now plus the duration: near INT64_MAX it would wrap and fire at once.
BOOST_AUTO_TEST_CASE(durations_are_bounded_at_30_days) {
    auto refusal = [](const char* text) {
        try {
            (void)json::value_to<task>(json::parse(text));
        } catch (const gleitzeit::error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    BOOST_TEST(refusal(R"({"id": "a", "timeout_ms": 2592000000})") == "");
    BOOST_TEST(refusal(R"({"id": "a", "timeout": 2592000})") == "");
    BOOST_TEST(refusal(R"({"id": "a", "timeout_ms": 9223372036854775807})") ==
               "task.timeout_ms: expected an integer from 0 to 2592000000, got 9223372036854775807");
    BOOST_TEST(refusal(R"({"id": "a", "timeout": 1e12})").find("task.timeout: ") == 0u);
    BOOST_TEST(refusal(R"({"id": "a", "retry": {"base_delay_ms": 9223372036854775000}})")
                   .find("task.retry.base_delay_ms: ") == 0u);
    BOOST_TEST(refusal(R"({"id": "a", "retry": {"max_delay": 2592001}})").find("task.retry.max_delay: ") == 0u);
}

BOOST_AUTO_TEST_CASE(task_integral_double_counts_as_integer) {
    task t = json::value_to<task>(json::parse(R"({"id": "a", "timeout_ms": 30000.0})"));
    BOOST_TEST(t.timeout.count() == 30000);
}

BOOST_AUTO_TEST_CASE(enum_names_both_ways) {
    const std::vector<std::pair<priority, std::string>> priorities{{priority::urgent, "urgent"},
                                                                   {priority::high, "high"},
                                                                   {priority::normal, "normal"},
                                                                   {priority::low, "low"}};
    for (const auto& [p, name] : priorities) {
        BOOST_TEST(to_string(p) == name);
        BOOST_TEST(json::value_from(p) == json::value(name));
        BOOST_TEST(to_string(json::value_to<priority>(json::value(name))) == name);
    }
    const std::vector<std::string> states{"pending", "ready",         "executing", "completed",
                                          "failed",  "retry_pending", "cancelled", "skipped"};
    for (std::size_t i = 0; i < states.size(); ++i) {
        auto s = static_cast<task_state>(i);
        BOOST_TEST(to_string(s) == states[i]);
        BOOST_TEST(json::value_from(s) == json::value(states[i]));
        BOOST_TEST(to_string(json::value_to<task_state>(json::value(states[i]))) == states[i]);
    }
    BOOST_TEST(to_string(backoff::fixed) == "fixed");
    BOOST_TEST(to_string(backoff::linear) == "linear");
    BOOST_TEST(to_string(backoff::exponential) == "exponential");
    BOOST_TEST(to_string(failure_policy::fail_fast) == "fail_fast");
    BOOST_TEST(to_string(failure_policy::continue_) == "continue");
    BOOST_TEST(to_string(workflow_state::pending) == "pending");
    BOOST_TEST(to_string(workflow_state::running) == "running");
    BOOST_TEST(to_string(workflow_state::completed) == "completed");
    BOOST_TEST(to_string(workflow_state::failed) == "failed");
    BOOST_TEST(to_string(workflow_state::cancelled) == "cancelled");
}

BOOST_AUTO_TEST_CASE(error_code_wire_names_both_ways) {
    const std::vector<std::string> names{"invalid_argument", "invalid_workflow", "not_found",
                                         "no_provider",      "timeout",          "provider_error",
                                         "cancelled",        "state_format",     "plugin_error",
                                         "unauthorized",     "internal"};
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto c = static_cast<error_code>(i);
        BOOST_TEST(to_string(c) == names[i]);
        BOOST_TEST(static_cast<std::size_t>(error_code_from_string(names[i])) == i);
    }
    BOOST_TEST(to_string(error_code_from_string("no_such_code")) == "internal");
    BOOST_TEST(to_string(error_code_from_string("")) == "internal");
}

BOOST_AUTO_TEST_CASE(slot_kind_names_both_ways) {
    const std::vector<std::string> names{"queue", "resolver", "registry", "persistence",
                                         "provider"};
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto k = static_cast<slot_kind>(i);
        BOOST_TEST(to_string(k) == names[i]);
        slot_kind parsed = slot_kind::queue;
        BOOST_TEST(slot_kind_from_string(names[i], parsed));
        BOOST_TEST(static_cast<std::size_t>(parsed) == i);
    }
    slot_kind untouched = slot_kind::registry;
    BOOST_TEST(!slot_kind_from_string("providers", untouched));
    BOOST_TEST(!slot_kind_from_string("", untouched));
    BOOST_TEST(to_string(untouched) == "registry");
}

BOOST_AUTO_TEST_CASE(retry_policy_round_trip) {
    retry_policy r;
    r.max_attempts = 7;
    r.kind = backoff::fixed;
    r.base_delay = 10ms;
    r.max_delay = 20ms;
    r.jitter = 0.5;
    check_same(round_trip(r), r);
}

BOOST_AUTO_TEST_CASE(workflow_round_trip) {
    workflow w;
    w.id = "wf-1";
    w.name = "nightly";
    w.tasks = {sample_task(), sample_task()};
    w.tasks[1].id = "t3";
    w.on_failure = failure_policy::continue_;
    w.state = workflow_state::running;
    json::value v = json::value_from(w);
    std::vector<std::string> order{"id", "name", "tasks", "on_failure", "state"};
    BOOST_TEST(keys_of(v) == order, boost::test_tools::per_element());
    BOOST_TEST(v.at("on_failure") == "continue");
    workflow back = round_trip(w);
    BOOST_TEST(back.id == "wf-1");
    BOOST_TEST(back.name == "nightly");
    BOOST_TEST(to_string(back.on_failure) == "continue");
    BOOST_TEST(to_string(back.state) == "running");
    BOOST_REQUIRE(back.tasks.size() == 2u);
    check_same(back.tasks[0], w.tasks[0]);
    check_same(back.tasks[1], w.tasks[1]);
}

BOOST_AUTO_TEST_CASE(workflow_defaults_and_task_workflow_id) {
    workflow w = json::value_to<workflow>(json::parse(
        R"({"id": "wf-9", "tasks": [{"id": "a"}, {"id": "b", "workflow_id": "other"}]})"));
    BOOST_TEST(w.name == "");
    BOOST_TEST(to_string(w.on_failure) == "fail_fast");
    BOOST_TEST(to_string(w.state) == "pending");
    BOOST_REQUIRE(w.tasks.size() == 2u);
    // A task inside its workflow takes the workflow's id unless it names one itself.
    BOOST_TEST(w.tasks[0].workflow_id == "wf-9");
    BOOST_TEST(w.tasks[1].workflow_id == "other");
    workflow empty = json::value_to<workflow>(json::parse("{}"));
    BOOST_TEST(empty.id == "");
    BOOST_TEST(empty.tasks.empty());
}

BOOST_AUTO_TEST_CASE(protocol_spec_round_trip) {
    protocol_spec p;
    p.id = "echo/v1";
    p.description = "says it back";
    p.methods = {{"echo", "returns its params", {{"text", {{"type", "string"}}}}},
                 {"ping", "", {}}};
    json::value v = json::value_from(p);
    BOOST_TEST(v == json::parse(R"({"id": "echo/v1", "description": "says it back", "methods": [
        {"name": "echo", "description": "returns its params",
         "params": {"text": {"type": "string"}}},
        {"name": "ping", "description": "", "params": {}}]})"));
    protocol_spec back = round_trip(p);
    BOOST_TEST(back.id == p.id);
    BOOST_TEST(back.description == p.description);
    BOOST_REQUIRE(back.methods.size() == 2u);
    BOOST_TEST(back.methods[0].name == "echo");
    BOOST_TEST(back.methods[0].description == "returns its params");
    BOOST_TEST(json::serialize(back.methods[0].params) == R"({"text":{"type":"string"}})");
    BOOST_TEST(back.methods[1].name == "ping");

    method_spec m = round_trip(p.methods[0]);
    BOOST_TEST(m.name == "echo");
    BOOST_TEST(json::serialize(m.params) == R"({"text":{"type":"string"}})");
    method_spec bare = json::value_to<method_spec>(json::parse(R"({"name": "x"})"));
    BOOST_TEST(bare.description == "");
    BOOST_TEST(bare.params.empty());
}

BOOST_AUTO_TEST_CASE(method_call_round_trip) {
    method_call c{"t7", "echo/v1", "echo", {{"text", "hi"}}, 1500ms};
    json::value v = json::value_from(c);
    BOOST_TEST(v == json::parse(R"({"task_id": "t7", "protocol": "echo/v1", "method": "echo",
                                    "params": {"text": "hi"}, "timeout_ms": 1500})"));
    method_call back = round_trip(c);
    BOOST_TEST(back.task_id == "t7");
    BOOST_TEST(back.protocol == "echo/v1");
    BOOST_TEST(back.method == "echo");
    BOOST_TEST(json::serialize(back.params) == R"({"text":"hi"})");
    BOOST_TEST(back.timeout.count() == 1500);
    method_call bare = json::value_to<method_call>(
        json::parse(R"({"task_id": "t", "protocol": "p/v1", "method": "m"})"));
    BOOST_TEST(bare.params.empty());
    BOOST_TEST(bare.timeout.count() == 30000);
}

BOOST_AUTO_TEST_CASE(task_error_round_trip) {
    task_error e{error_code::timeout, "took 31 s", false};
    BOOST_TEST(json::value_from(e) ==
               json::parse(R"({"code": "timeout", "message": "took 31 s", "retryable": false})"));
    check_same(round_trip(e), e);
    task_error bare =
        json::value_to<task_error>(json::parse(R"({"code": "no_provider", "message": "m"})"));
    BOOST_TEST(bare.retryable);
}

BOOST_AUTO_TEST_CASE(task_result_success_round_trip) {
    task_result r;
    r.task_id = "t1";
    r.result = json::parse(R"({"text": "hi", "n": [1, 2]})");
    r.provider = "provider-echo";
    r.duration_ms = 12.5;
    json::value v = json::value_from(r);
    BOOST_TEST(v == json::parse(R"({"task_id": "t1", "result": {"text": "hi", "n": [1, 2]},
                                    "provider": "provider-echo", "duration_ms": 12.5})"));
    task_result back = round_trip(r);
    BOOST_TEST(back.ok());
    BOOST_TEST(back.task_id == "t1");
    BOOST_TEST(*back.result == *r.result);
    BOOST_TEST(!back.error);
    BOOST_TEST(back.provider == "provider-echo");
    BOOST_TEST(back.duration_ms == 12.5);
}

BOOST_AUTO_TEST_CASE(task_result_failure_round_trip) {
    task_result r;
    r.task_id = "t1";
    r.error = task_error{error_code::provider_error, "GPU out of memory", true};
    r.provider = "llm-1";
    r.duration_ms = 3;
    json::value v = json::value_from(r);
    BOOST_TEST(v == json::parse(R"({"task_id": "t1", "error": {"code": "provider_error",
        "message": "GPU out of memory", "retryable": true}, "provider": "llm-1",
        "duration_ms": 3.0})"));
    task_result back = round_trip(r);
    BOOST_TEST(!back.ok());
    BOOST_TEST(!back.result);
    BOOST_REQUIRE(back.error);
    check_same(*back.error, *r.error);
    BOOST_TEST(back.duration_ms == 3.0);
}

BOOST_AUTO_TEST_CASE(task_result_null_result_and_null_error) {
    // A method may return null: that is a result.
    task_result ok =
        json::value_to<task_result>(json::parse(R"({"task_id": "a", "result": null})"));
    BOOST_TEST(ok.ok());
    BOOST_TEST(ok.result->is_null());
    // Peers that always send both keys set the unused one to null.
    task_result failed = json::value_to<task_result>(json::parse(
        R"({"task_id": "a", "result": null, "error": {"code": "timeout", "message": "m"}})"));
    BOOST_TEST(!failed.ok());
    BOOST_REQUIRE(failed.error);
    BOOST_TEST(to_string(failed.error->code) == "timeout");
    task_result succeeded =
        json::value_to<task_result>(json::parse(R"({"task_id": "a", "result": 5, "error": null})"));
    BOOST_TEST(succeeded.ok());
    BOOST_TEST(*succeeded.result == json::value(5));
    BOOST_TEST(succeeded.provider == "");
    BOOST_TEST(succeeded.duration_ms == 0.0);
}

BOOST_AUTO_TEST_CASE(refusals_name_the_field_and_the_problem) {
    const std::string long_name(100, 'x');
    const std::string long_payload = R"({"id": "a", "priority": ")" + long_name + R"("})";
    const std::string long_message = "task.priority: unknown priority '" + std::string(64, 'x') +
                                     "...' (expected urgent, high, normal or low)";
    // 63 ASCII bytes, then a 2-byte character across the cut at 64: it goes whole.
    const std::string utf8_name = std::string(63, 'y') + "\xC3\xA9" + "tail";
    const std::string utf8_payload = R"({"id": "a", "state": ")" + utf8_name + R"("})";
    const std::string utf8_message = "task.state: unknown task state '" + std::string(63, 'y') +
                                     "...' (expected pending, ready, executing, completed, "
                                     "failed, retry_pending, cancelled or skipped)";
    const std::vector<refusal> refusals{
        // task
        {parse_as<task>, "[1]", "task: expected an object, got array"},
        {parse_as<task>, "{}", "task.id: required field is missing"},
        {parse_as<task>, R"({"id": 5})", "task.id: expected a string, got integer"},
        {parse_as<task>, R"({"id": "a", "workflow_id": null})",
         "task.workflow_id: expected a string, got null"},
        {parse_as<task>, R"({"id": "a", "name": true})",
         "task.name: expected a string, got boolean"},
        {parse_as<task>, R"({"id": "a", "protocol": {}})",
         "task.protocol: expected a string, got object"},
        {parse_as<task>, R"({"id": "a", "method": []})",
         "task.method: expected a string, got array"},
        {parse_as<task>, R"({"id": "a", "params": "x"})",
         "task.params: expected an object, got string"},
        {parse_as<task>, R"({"id": "a", "parameters": [1]})",
         "task.parameters: expected an object, got array"},
        {parse_as<task>, R"({"id": "a", "params": {}, "parameters": {}})",
         "task.parameters: conflicts with params (give only one)"},
        {parse_as<task>, R"({"id": "a", "dependencies": "t1"})",
         "task.dependencies: expected an array, got string"},
        {parse_as<task>, R"({"id": "a", "dependencies": ["t1", 2]})",
         "task.dependencies[1]: expected a string, got integer"},
        {parse_as<task>, R"({"id": "a", "priority": "urgentt"})",
         "task.priority: unknown priority 'urgentt' (expected urgent, high, normal or low)"},
        {parse_as<task>, R"({"id": "a", "priority": 1})",
         "task.priority: expected a string, got integer"},
        {parse_as<task>, long_payload.c_str(), long_message.c_str()},
        {parse_as<task>, utf8_payload.c_str(), utf8_message.c_str()},
        {parse_as<task>, R"({"id": "a", "timeout_ms": "30s"})",
         "task.timeout_ms: expected an integer, got string"},
        {parse_as<task>, R"({"id": "a", "timeout_ms": 1.5})",
         "task.timeout_ms: expected an integer, got number"},
        {parse_as<task>, R"({"id": "a", "timeout_ms": -5})",
         "task.timeout_ms: expected an integer from 0 to 2592000000, got -5"},
        {parse_as<task>, R"({"id": "a", "timeout_ms": 18446744073709551615})",
         "task.timeout_ms: expected an integer from 0 to 2592000000, got 18446744073709551615"},
        {parse_as<task>, R"({"id": "a", "timeout_ms": 1e300})",
         "task.timeout_ms: expected an integer from 0 to 2592000000, got 1e+300"},
        {parse_as<task>, R"({"id": "a", "retry": "3x"})",
         "task.retry: expected an object, got string"},
        {parse_as<task>, R"({"id": "a", "retry": {"max_attempts": 0}})",
         "task.retry.max_attempts: expected an integer from 1 to 4294967295, got 0"},
        {parse_as<task>, R"({"id": "a", "retry": {"backoff": "quadratic"}})",
         "task.retry.backoff: unknown backoff 'quadratic' (expected fixed, linear or exponential)"},
        {parse_as<task>, R"({"id": "a", "retry": {"base_delay_ms": "1s"}})",
         "task.retry.base_delay_ms: expected an integer, got string"},
        {parse_as<task>, R"({"id": "a", "retry": {"max_delay_ms": -1}})",
         "task.retry.max_delay_ms: expected an integer from 0 to 2592000000, got -1"},
        {parse_as<task>, R"({"id": "a", "retry": {"jitter": "some"}})",
         "task.retry.jitter: expected a number, got string"},
        {parse_as<task>, R"({"id": "a", "retry": {"jitter": 1.5}})",
         "task.retry.jitter: expected a number from 0 to 1, got 1.5"},
        {parse_as<task>, R"({"id": "a", "state": "done"})",
         "task.state: unknown task state 'done' (expected pending, ready, executing, completed, "
         "failed, retry_pending, cancelled or skipped)"},
        {parse_as<task>, R"({"id": "a", "attempt": -1})",
         "task.attempt: expected an integer from 0 to 4294967295, got -1"},
        {parse_as<task>, R"({"id": "a", "due_ms": "soon"})",
         "task.due_ms: expected an integer, got string"},
        // workflow
        {parse_as<workflow>, "null", "workflow: expected an object, got null"},
        {parse_as<workflow>, R"({"id": 1})", "workflow.id: expected a string, got integer"},
        {parse_as<workflow>, R"({"name": []})", "workflow.name: expected a string, got array"},
        {parse_as<workflow>, R"({"tasks": {}})", "workflow.tasks: expected an array, got object"},
        {parse_as<workflow>, R"({"tasks": [{"id": "a"}, {"name": "b"}]})",
         "workflow.tasks[1].id: required field is missing"},
        {parse_as<workflow>, R"({"tasks": [{"id": "a", "retry": {"jitter": true}}]})",
         "workflow.tasks[0].retry.jitter: expected a number, got boolean"},
        {parse_as<workflow>, R"({"on_failure": "abort"})",
         "workflow.on_failure: unknown failure policy 'abort' (expected fail_fast or continue)"},
        {parse_as<workflow>, R"({"state": "done"})",
         "workflow.state: unknown workflow state 'done' (expected pending, running, completed, "
         "failed or cancelled)"},
        // protocols
        {parse_as<method_spec>, "{}", "method_spec.name: required field is missing"},
        {parse_as<method_spec>, R"({"name": "m", "description": 1})",
         "method_spec.description: expected a string, got integer"},
        {parse_as<method_spec>, R"({"name": "m", "params": []})",
         "method_spec.params: expected an object, got array"},
        {parse_as<protocol_spec>, "{}", "protocol_spec.id: required field is missing"},
        {parse_as<protocol_spec>, R"({"id": "p/v1", "description": null})",
         "protocol_spec.description: expected a string, got null"},
        {parse_as<protocol_spec>, R"({"id": "p/v1", "methods": {}})",
         "protocol_spec.methods: expected an array, got object"},
        {parse_as<protocol_spec>, R"({"id": "p/v1", "methods": [{"name": "a"}, {}]})",
         "protocol_spec.methods[1].name: required field is missing"},
        // method_call
        {parse_as<method_call>, R"({"protocol": "p/v1", "method": "m"})",
         "method_call.task_id: required field is missing"},
        {parse_as<method_call>, R"({"task_id": "t", "method": "m"})",
         "method_call.protocol: required field is missing"},
        {parse_as<method_call>, R"({"task_id": "t", "protocol": "p/v1"})",
         "method_call.method: required field is missing"},
        {parse_as<method_call>,
         R"({"task_id": "t", "protocol": "p/v1", "method": "m", "params": 1})",
         "method_call.params: expected an object, got integer"},
        {parse_as<method_call>,
         R"({"task_id": "t", "protocol": "p/v1", "method": "m", "timeout_ms": "1s"})",
         "method_call.timeout_ms: expected an integer, got string"},
        // task_error and task_result
        {parse_as<task_error>, R"({"message": "m"})", "task_error.code: required field is missing"},
        {parse_as<task_error>, R"({"code": "oops", "message": "m"})",
         "task_error.code: unknown error code 'oops' (expected invalid_argument, invalid_workflow, "
         "not_found, no_provider, timeout, provider_error, cancelled, state_format, plugin_error, "
         "unauthorized or internal)"},
        {parse_as<task_error>, R"({"code": "timeout"})",
         "task_error.message: required field is missing"},
        {parse_as<task_error>, R"({"code": "timeout", "message": "m", "retryable": "yes"})",
         "task_error.retryable: expected a boolean, got string"},
        {parse_as<task_result>, R"({"result": 1})",
         "task_result.task_id: required field is missing"},
        {parse_as<task_result>, R"({"task_id": "a", "result": 1, "error": {}})",
         "task_result: has both result and error (expected one)"},
        {parse_as<task_result>, R"({"task_id": "a"})",
         "task_result: has neither result nor error (expected one)"},
        {parse_as<task_result>, R"({"task_id": "a", "error": {"code": "bad", "message": "m"}})",
         "task_result.error.code: unknown error code 'bad' (expected invalid_argument, "
         "invalid_workflow, not_found, no_provider, timeout, provider_error, cancelled, "
         "state_format, plugin_error, unauthorized or internal)"},
        {parse_as<task_result>, R"({"task_id": "a", "error": "boom"})",
         "task_result.error: expected an object, got string"},
        {parse_as<task_result>, R"({"task_id": "a", "result": 1, "provider": 7})",
         "task_result.provider: expected a string, got integer"},
        {parse_as<task_result>, R"({"task_id": "a", "result": 1, "duration_ms": "fast"})",
         "task_result.duration_ms: expected a number, got string"},
        {parse_as<task_result>, R"({"task_id": "a", "result": 1, "duration_ms": -1})",
         "task_result.duration_ms: expected a number >= 0, got -1"},
        // the enums and retry_policy on their own
        {parse_as<priority>, R"("soon")",
         "priority: unknown priority 'soon' (expected urgent, high, normal or low)"},
        {parse_as<priority>, "3", "priority: expected a string, got integer"},
        {parse_as<task_state>, R"("Done")",
         "task_state: unknown task state 'Done' (expected pending, ready, executing, completed, "
         "failed, retry_pending, cancelled or skipped)"},
        {parse_as<task_state>, "{}", "task_state: expected a string, got object"},
        {parse_as<retry_policy>, R"({"jitter": -0.5})",
         "retry.jitter: expected a number from 0 to 1, got -0.5"},
        {parse_as<retry_policy>, R"({"base_delay": 1, "base_delay_ms": 1000})",
         "retry.base_delay: conflicts with base_delay_ms (give only one)"},
        {parse_as<task>, R"({"id": "a", "timeout": "soon"})",
         "task.timeout: expected a number, got string"},
    };
    for (const refusal& r : refusals) {
        BOOST_TEST_CONTEXT("payload " << r.payload) {
            std::string message = "(nothing thrown)";
            error_code code = error_code::internal;
            try {
                r.parse(json::parse(r.payload));
            } catch (const gleitzeit::error& e) {
                message = e.what();
                code = e.code();
            }
            BOOST_TEST(message == r.message);
            BOOST_TEST(to_string(code) == "invalid_argument");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
