// resolver-dag: validation messages, order, release, substitution, skipping, state, and a
// 10,000-task DAG.

#include "resolver_dag.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

using namespace gleitzeit;
namespace json = boost::json;

namespace {

using strings = std::vector<std::string>;

task make_task(std::string id, strings deps = {}, json::object params = {}) {
    task t;
    t.id = std::move(id);
    t.protocol = "echo/v1";
    t.method = "echo";
    t.dependencies = std::move(deps);
    t.params = std::move(params);
    return t;
}

workflow make_workflow(std::vector<task> tasks, std::string id = "w") {
    workflow w;
    w.id = std::move(id);
    w.tasks = std::move(tasks);
    return w;
}

json::object params_of(std::string_view text) {
    return json::parse(text).as_object();
}

// The message of the error `call` throws, checking its code; "<no error>" when none.
template <class F> std::string refusal(F&& call, error_code expected) {
    try {
        call();
    } catch (const error& e) {
        BOOST_TEST(to_string(e.code()) == to_string(expected));
        return e.what();
    }
    return "<no error>";
}

std::string analyze_refusal(const std::vector<task>& tasks) {
    resolver_dag r({});
    auto message = refusal([&] { r.analyze(make_workflow(tasks)); }, error_code::invalid_workflow);
    BOOST_TEST(r.tracked() == 0u); // a refused workflow is not tracked
    return message;
}

task_result ok(std::string id, json::value v = nullptr) {
    task_result r;
    r.task_id = std::move(id);
    r.result = std::move(v);
    return r;
}

task_result failed(std::string id) {
    task_result r;
    r.task_id = std::move(id);
    r.error = task_error{error_code::provider_error, "boom", false};
    return r;
}

strings ids(const std::vector<task>& tasks) {
    strings out;
    for (const auto& t : tasks)
        out.push_back(t.id);
    return out;
}

// The params of the one task `complete` releases.
json::object released_params(resolver_dag& r, const task_result& result) {
    auto release = r.complete("w", result);
    BOOST_REQUIRE_EQUAL(release.ready_tasks.size(), 1u);
    return release.ready_tasks[0].params;
}

} // namespace

BOOST_AUTO_TEST_SUITE(resolver_dag_suite)

BOOST_AUTO_TEST_CASE(each_invalid_workflow_is_refused_with_its_message) {
    BOOST_TEST(analyze_refusal({}) == "workflow has no tasks");
    BOOST_TEST(analyze_refusal({make_task("a"), make_task("")}) == "tasks[1] has an empty id");
    BOOST_TEST(analyze_refusal({make_task("a"), make_task("b"), make_task("b", {"a"})}) ==
               "duplicate task id 'b'");
    BOOST_TEST(analyze_refusal({make_task("b"), make_task("a", {"b", "a"})}) ==
               "task 'a' depends on itself");
    BOOST_TEST(analyze_refusal({make_task("a"), make_task("c", {"a", "x"})}) ==
               "task 'c' depends on unknown task 'x'");
}

BOOST_AUTO_TEST_CASE(a_cycle_is_named_in_dependency_order_from_its_first_listed_task) {
    // a waits for c, c for b, b for a.
    BOOST_TEST(analyze_refusal({make_task("a", {"c"}), make_task("b", {"a"}),
                                make_task("c", {"b"})}) == "dependency cycle: a -> c -> b -> a");
    // The first task is outside the cycle; "entry" leads into it but is not part of it.
    BOOST_TEST(analyze_refusal({make_task("start"), make_task("entry", {"start", "m"}),
                                make_task("m", {"n"}), make_task("n", {"o"}),
                                make_task("o", {"m"})}) == "dependency cycle: m -> n -> o -> m");
    // Entered at y, named from x, which is listed before it.
    BOOST_TEST(analyze_refusal({make_task("w", {"y"}), make_task("x", {"z"}), make_task("y", {"x"}),
                                make_task("z", {"y"})}) == "dependency cycle: x -> z -> y -> x");
    BOOST_TEST(analyze_refusal({make_task("a"), make_task("p", {"a", "q"}),
                                make_task("q", {"p"})}) == "dependency cycle: p -> q -> p");
}

BOOST_AUTO_TEST_CASE(references_are_checked_by_analyze) {
    BOOST_TEST(analyze_refusal(
                   {make_task("a"), make_task("c", {"a"}, params_of(R"({"q": "${x.result}"})"))}) ==
               "task 'c' refers to unknown task 'x' in params.q");
    BOOST_TEST(analyze_refusal({make_task("c", {}, params_of(R"({"q": ["${c.result.v}"]})"))}) ==
               "task 'c' refers to its own result in params.q[0]");
    BOOST_TEST(
        analyze_refusal({make_task("a"), make_task("b"),
                         make_task("c", {"a"}, params_of(R"({"o": {"k": "x ${b.result} y"}})"))}) ==
        "task 'c' refers to task 'b' in params.o.k, which is not among its dependencies");
    BOOST_TEST(analyze_refusal({make_task("a"),
                                make_task("c", {"a"}, params_of(R"({"q": "${a.result[x]}"})"))}) ==
               "task 'c' has a malformed reference '${a.result[x]}' in params.q: an index must be "
               "a non-negative integer, not 'x'");
    BOOST_TEST(analyze_refusal({make_task("a"),
                                make_task("c", {"a"}, params_of(R"({"q": "${a.result..v}"})"))}) ==
               "task 'c' has a malformed reference '${a.result..v}' in params.q: a field name is "
               "empty");
    BOOST_TEST(analyze_refusal(
                   {make_task("a"), make_task("c", {"a"}, params_of(R"({"q": "${.result}"})"))}) ==
               "task 'c' has a malformed reference '${.result}' in params.q: it names no task");
    // "${}" and a "${" never closed are refused, not passed on as text; "${HOME}" is text.
    BOOST_TEST(analyze_refusal({make_task("a"), make_task("c", {"a"}, params_of(R"({"q": "x ${} y"})"))}) ==
               "task 'c' has a malformed reference '${}' in params.q: it is empty");
    BOOST_TEST(analyze_refusal({make_task("a"), make_task("c", {"a"}, params_of(R"({"q": ["${a.result"]})"))}) ==
               "task 'c' has a malformed reference '${a.result' in params.q[0]: the '${' is not "
               "closed with '}'");
    resolver_dag r({});
    const auto a = r.analyze(make_workflow({make_task("a"), make_task("c", {"a"}, params_of(R"({"q": "${HOME}"})"))}));
    BOOST_TEST(r.tracked() == 1u);
    BOOST_TEST(a.ready_tasks.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_tracked_workflow_id_is_refused_and_forget_releases_it) {
    resolver_dag r({});
    r.analyze(make_workflow({make_task("a")}));
    BOOST_TEST(refusal([&] { r.analyze(make_workflow({make_task("b")})); },
                       error_code::invalid_argument) == "workflow 'w' is already tracked");
    r.forget("w");
    BOOST_TEST(r.tracked() == 0u);
    BOOST_TEST(refusal([&] { r.forget("w"); }, error_code::not_found) == "unknown workflow 'w'");
    BOOST_TEST(r.analyze(make_workflow({make_task("b")})).ready_tasks == strings{"b"});
}

BOOST_AUTO_TEST_CASE(execution_order_is_kahn_with_ties_in_workflow_order) {
    resolver_dag r({});
    auto a = r.analyze(make_workflow({make_task("d", {"b", "c"}), make_task("b", {"a"}),
                                      make_task("c", {"a", "a"}), make_task("a"), make_task("e")}));
    // d becomes ready after c and is listed before e, which was ready from the start.
    BOOST_TEST(a.execution_order == (strings{"a", "b", "c", "d", "e"}),
               boost::test_tools::per_element());
    BOOST_TEST(a.ready_tasks == (strings{"a", "e"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_diamond_releases_each_dependent_once_all_its_dependencies_completed) {
    resolver_dag r({});
    r.analyze(make_workflow({make_task("a"), make_task("b", {"a"}), make_task("c", {"a"}),
                             make_task("d", {"c", "b", "c"})}));
    auto after_a = r.complete("w", ok("a"));
    BOOST_TEST(ids(after_a.ready_tasks) == (strings{"b", "c"}), boost::test_tools::per_element());
    for (const auto& t : after_a.ready_tasks) {
        BOOST_TEST(t.workflow_id == "w");
        BOOST_TEST(t.protocol == "echo/v1");
        BOOST_TEST(t.method == "echo");
        BOOST_TEST(to_string(t.state) == "ready");
    }
    BOOST_TEST(after_a.skipped.empty());
    BOOST_TEST(!after_a.workflow_finished);

    auto after_b = r.complete("w", ok("b"));
    BOOST_TEST(after_b.ready_tasks.empty());
    BOOST_TEST(!after_b.workflow_finished);
    auto after_c = r.complete("w", ok("c"));
    BOOST_TEST(ids(after_c.ready_tasks) == strings{"d"}, boost::test_tools::per_element());
    BOOST_TEST(after_c.ready_tasks[0].dependencies == (strings{"c", "b", "c"}),
               boost::test_tools::per_element());
    BOOST_TEST(!after_c.workflow_finished);
    auto after_d = r.complete("w", ok("d"));
    BOOST_TEST(after_d.ready_tasks.empty());
    BOOST_TEST(after_d.workflow_finished);

    // A repeated delivery changes nothing, whatever its outcome.
    auto again = r.complete("w", failed("a"));
    BOOST_TEST(again.ready_tasks.empty());
    BOOST_TEST(again.skipped.empty());
    BOOST_TEST(again.workflow_finished);
}

BOOST_AUTO_TEST_CASE(unknown_ids_and_a_success_before_release_are_refused) {
    resolver_dag r({});
    r.analyze(make_workflow({make_task("a"), make_task("b", {"a"})}));
    BOOST_TEST(refusal([&] { r.complete("v", ok("a")); }, error_code::not_found) ==
               "unknown workflow 'v'");
    BOOST_TEST(refusal([&] { r.complete("w", ok("x")); }, error_code::not_found) ==
               "workflow 'w' has no task 'x'");
    BOOST_TEST(refusal([&] { r.complete("w", ok("b")); }, error_code::invalid_argument) ==
               "task 'b' of workflow 'w' cannot complete: it is not ready (1 of its dependencies "
               "have not completed)");
    BOOST_TEST(ids(r.complete("w", ok("a")).ready_tasks) == strings{"b"});
}

BOOST_AUTO_TEST_CASE(a_whole_reference_keeps_the_type_of_its_value) {
    resolver_dag r({});
    r.analyze(make_workflow({make_task("a"), make_task("b", {"a"}, params_of(R"({
            "num": "${a.result.n}", "whole": "${a.result}", "list": "${a.result.list}",
            "deep": "${a.result.list[1].x}", "obj": "${a.result.obj}", "flag": "${a.result.obj.k}",
            "nothing": "${a.result.none}", "plain": "no reference", "n": 5})"))}));
    const auto result = json::parse(
        R"({"n": 42, "list": [1, {"x": "deep"}], "s": "text", "obj": {"k": true}, "none": null})");
    BOOST_TEST(json::serialize(released_params(r, ok("a", result))) ==
               json::serialize(params_of(R"({
            "num": 42, "whole": {"n": 42, "list": [1, {"x": "deep"}], "s": "text",
            "obj": {"k": true}, "none": null}, "list": [1, {"x": "deep"}], "deep": "deep",
            "obj": {"k": true}, "flag": true, "nothing": null, "plain": "no reference",
            "n": 5})")));
}

BOOST_AUTO_TEST_CASE(references_in_text_are_rendered_into_it) {
    resolver_dag r({});
    r.analyze(make_workflow({make_task("a"), make_task("b", {"a"}, params_of(R"({
        "t": "n=${a.result.n}, s=${a.result.s}, o=${a.result.o}, x=${a.result.x}, ${a.result.s}",
        "numbers": "${a.result.i}|${a.result.d}|${a.result.big}|${a.result.b}",
        "shell": "${HOME} and ${a.result.s}"})"))}));
    const auto params = released_params(
        r, ok("a", json::parse(R"({"n": 1.5, "s": "txt", "o": {"k": [1, null, 6.23, 0.5]}, "i": -3,
                                         "d": 30000.0, "big": 1e300, "b": false, "x": null})")));
    // A fraction inside an object reads as written too, not as the serializer's 6.23E0.
    BOOST_TEST(params.at("t").as_string() == R"(n=1.5, s=txt, o={"k":[1,null,6.23,0.5]}, x=null, txt)");
    BOOST_TEST(params.at("numbers").as_string() == "-3|30000|1e+300|false");
    BOOST_TEST(params.at("shell").as_string() == "${HOME} and txt");
}

// docs/events.md, "Workflows": a path the result does not have fails the task that holds it,
// naming the path and what is there; it does not run on a null.
BOOST_AUTO_TEST_CASE(a_reference_that_does_not_resolve_fails_its_task_and_skips_its_dependents) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"${a.result.nope}", "${a.result.nope}: result of task 'a' has no field 'nope' (it has "
                             "n, list, s)"},
        {"${a.result.list[7]}", "${a.result.list[7]}: result.list of task 'a' has 2 elements, no [7]"},
        {"${a.result.list.x}", "${a.result.list.x}: result.list of task 'a' is a list, not an object"},
        {"${a.result.n[0]}", "${a.result.n[0]}: result.n of task 'a' is a number, not a list"},
        {"${a.result.list[1].y}", "${a.result.list[1].y}: result.list[1] of task 'a' has no field "
                                  "'y' (it has x)"},
        {"in text ${a.result.s.k}", "${a.result.s.k}: result.s of task 'a' is a string, not an "
                                    "object"},
    };
    for (const auto& [ref, why] : cases) {
        BOOST_TEST_CONTEXT(ref) {
            resolver_dag r({});
            json::object params{{"q", json::string(ref)}};
            r.analyze(make_workflow({make_task("a"), make_task("b", {"a"}, params),
                                     make_task("c", {"b"}), make_task("d", {"a"})}));
            auto rel = r.complete(
                "w", ok("a", json::parse(R"({"n": 1, "list": [1, {"x": 2}], "s": "t"})")));
            BOOST_TEST(ids(rel.ready_tasks) == strings{"d"});
            BOOST_TEST(rel.skipped == strings{"c"});
            BOOST_REQUIRE_EQUAL(rel.failed.size(), 1u);
            BOOST_TEST(rel.failed[0].task_id == "b");
            BOOST_TEST(!rel.failed[0].ok());
            BOOST_TEST(to_string(rel.failed[0].error->code) == "unresolved_reference");
            BOOST_TEST(rel.failed[0].error->message == why);
            BOOST_TEST(!rel.failed[0].error->retryable);
            BOOST_TEST(!rel.workflow_finished);
            // b is final: its own result changes nothing, and d ends the workflow.
            BOOST_TEST(r.complete("w", failed("b")).ready_tasks.empty());
            BOOST_TEST(r.complete("w", ok("d")).workflow_finished);
        }
    }
}

BOOST_AUTO_TEST_CASE(references_in_nested_params_and_to_transitive_dependencies) {
    resolver_dag r({});
    r.analyze(make_workflow({make_task("a"), make_task("step.1", {"a"}),
                             make_task("c", {"step.1"}, params_of(R"({"outer": {"list": [
                                 "${a.result.v[0][1]}", {"inner": "x${step.1.result.name}"},
                                 ["${a.result.v}"]]}})"))}));
    r.complete("w", ok("a", json::parse(R"({"v": [[10, 20], [30]]})")));
    BOOST_TEST(json::serialize(released_params(r, ok("step.1", json::parse(R"({"name": "y"})")))) ==
               R"({"outer":{"list":[20,{"inner":"xy"},[[[10,20],[30]]]]}})");
}

BOOST_AUTO_TEST_CASE(a_failure_skips_every_transitive_dependent) {
    resolver_dag r({});
    r.analyze(make_workflow({make_task("a"), make_task("b", {"a"}), make_task("x"),
                             make_task("d", {"c", "x"}), make_task("c", {"b"}),
                             make_task("y", {"x"}), make_task("e", {"a"})}));
    BOOST_TEST(ids(r.complete("w", ok("a")).ready_tasks) == (strings{"b", "e"}),
               boost::test_tools::per_element());
    auto failure = r.complete("w", failed("b"));
    BOOST_TEST(failure.ready_tasks.empty());
    BOOST_TEST(failure.skipped == (strings{"d", "c"}), boost::test_tools::per_element());
    BOOST_TEST(!failure.workflow_finished);

    // d waited for x too, but is skipped and not released.
    auto after_x = r.complete("w", ok("x"));
    BOOST_TEST(ids(after_x.ready_tasks) == strings{"y"}, boost::test_tools::per_element());
    BOOST_TEST(!r.complete("w", ok("y")).workflow_finished);
    auto skipped_again = r.complete("w", ok("c"));
    BOOST_TEST(skipped_again.ready_tasks.empty());
    BOOST_TEST(!skipped_again.workflow_finished);
    BOOST_TEST(r.complete("w", failed("e")).workflow_finished);
}

BOOST_AUTO_TEST_CASE(state_round_trip_mid_workflow_then_continue_on_the_new_instance) {
    resolver_dag old_generation({});
    BOOST_TEST(old_generation.state_formats() == strings{"resolver/1"});
    old_generation.analyze(make_workflow(
        {make_task("a"), make_task("b", {"a"}), make_task("c", {"a"}),
         make_task("d", {"b", "c"}, params_of(R"({"v": "${a.result.v}", "t": "${b.result}!"})")),
         make_task("f"), make_task("g", {"f"})}));
    old_generation.analyze(make_workflow({make_task("solo")}, "other"));
    old_generation.complete("w", ok("a", json::parse(R"({"v": [1, 2]})")));
    old_generation.complete("w", ok("b", "bee"));
    old_generation.complete("w", failed("f"));

    const auto state = old_generation.export_state({"resolver/9", "resolver/1"});
    resolver_dag new_generation({});
    new_generation.import_state(json::parse(json::serialize(state)).as_object());
    BOOST_TEST(new_generation.tracked() == 2u);
    BOOST_TEST(json::serialize(new_generation.export_state({"resolver/1"})) ==
               json::serialize(state));

    BOOST_TEST(json::serialize(released_params(new_generation, ok("c"))) ==
               R"({"v":[1,2],"t":"bee!"})");
    // g was skipped with f before the swap: it is not released, and stays skipped.
    const auto after_g = new_generation.complete("w", ok("g"));
    BOOST_TEST(after_g.ready_tasks.empty());
    BOOST_TEST(!after_g.workflow_finished);
    BOOST_TEST(new_generation.complete("w", ok("d")).workflow_finished);
    BOOST_TEST(new_generation.complete("other", ok("solo")).workflow_finished);
}

// A result only a ${...} reads here: one no task references is held as null (the hub keeps
// every result for itself), so that a large result is not held here once more.
BOOST_AUTO_TEST_CASE(a_result_no_task_references_is_held_as_null) {
    resolver_dag r({});
    r.analyze(make_workflow({make_task("a"), make_task("b", {"a"}),
                             make_task("c", {"b"}, params_of(R"({"v": "${a.result}"})"))}));
    const std::string big(100000, 'x');
    r.complete("w", ok("a", json::value(big)));
    // c gets a's result whole.
    BOOST_TEST(released_params(r, ok("b", json::value(big))).at("v").as_string() == big);
    const auto state = r.export_state({"resolver/1"});
    const auto& tasks = state.at("workflows").at(0).at("tasks").as_array();
    std::map<std::string, std::string> held;
    for (const auto& t : tasks)
        if (const auto* result = t.as_object().if_contains("result"))
            held[std::string(t.at("task").at("id").as_string())] =
                result->is_string() ? std::to_string(result->as_string().size()) + " bytes"
                                    : json::serialize(*result);
    BOOST_TEST((held == std::map<std::string, std::string>{{"a", "100000 bytes"}, {"b", "null"}}));
}

BOOST_AUTO_TEST_CASE(a_bad_state_leaves_the_instance_unchanged) {
    resolver_dag r({});
    r.analyze(make_workflow({make_task("a"), make_task("b", {"a"})}));
    const auto before = json::serialize(r.export_state({"resolver/1"}));

    BOOST_TEST(refusal([&] { r.import_state(params_of(R"({"format": "resolver/2"})")); },
                       error_code::state_format) ==
               "resolver-dag: cannot read state format 'resolver/2'; it reads [resolver/1]");
    BOOST_TEST(refusal([&] { r.import_state(params_of(R"({"workflows": []})")); },
                       error_code::state_format) ==
               "resolver-dag: the state names no format; it reads [resolver/1]");
    BOOST_TEST(refusal([&] { r.export_state({"resolver/2"}); }, error_code::state_format) ==
               "resolver-dag: cannot write any of [resolver/2]; it writes [resolver/1]");

    // A valid first workflow, then a bad second one: nothing of either is taken.
    auto bad = params_of(R"({"format": "resolver/1", "workflows": [
        {"id": "fine", "tasks": [{"task": {"id": "z", "state": "ready"}}]},
        {"id": "v", "tasks": [{"task": {"id": "a", "state": "ready"}},
                              {"task": {"id": "b", "dependencies": ["a"], "state": "ready"}}]}]})");
    BOOST_TEST(refusal([&] { r.import_state(bad); }, error_code::invalid_argument) ==
               "resolver-dag: state workflows[1] ('v') task 'b' is ready but 1 of its "
               "dependencies have not completed");
    auto cyclic = params_of(R"({"format": "resolver/1", "workflows": [{"id": "v", "tasks": [
        {"task": {"id": "a", "dependencies": ["b"]}},
        {"task": {"id": "b", "dependencies": ["a"]}}]}]})");
    BOOST_TEST(refusal([&] { r.import_state(cyclic); }, error_code::invalid_argument) ==
               "resolver-dag: state workflows[0] ('v'): dependency cycle: a -> b -> a");
    auto no_result = params_of(R"({"format": "resolver/1", "workflows": [{"id": "v", "tasks": [
        {"task": {"id": "a", "state": "completed"}}]}]})");
    BOOST_TEST(refusal([&] { r.import_state(no_result); }, error_code::invalid_argument) ==
               "resolver-dag: state workflows[0] ('v') task 'a' is completed but has no result");
    auto misspelt = params_of(R"({"format": "resolver/1", "workflow": []})");
    BOOST_TEST(refusal([&] { r.import_state(misspelt); }, error_code::invalid_argument) ==
               "resolver-dag: state has no 'workflows'");

    BOOST_TEST(json::serialize(r.export_state({"resolver/1"})) == before);
    BOOST_TEST(ids(r.complete("w", ok("a")).ready_tasks) == strings{"b"});
}

BOOST_AUTO_TEST_CASE(unknown_config_is_refused) {
    BOOST_TEST(refusal([] { resolver_dag r(params_of(R"({"depth": 3})")); },
                       error_code::invalid_argument) == "resolver-dag: unknown config key 'depth'");
}

// 1 root, 98 fanning out from it, 100 from each of those, 100 fanning in from 98 each, and
// one sink: 10,000 tasks in 5 levels.
BOOST_AUTO_TEST_CASE(a_10000_task_dag_is_analyzed_and_driven_to_completion) {
    std::vector<task> tasks;
    tasks.reserve(10000);
    tasks.push_back(make_task("root"));
    for (int i = 0; i < 98; ++i)
        tasks.push_back(make_task("l1-" + std::to_string(i), {"root"}));
    for (int i = 0; i < 9800; ++i) {
        const auto parent = "l1-" + std::to_string(i / 100);
        json::object params;
        params["n"] = "${" + parent + ".result.n}";
        tasks.push_back(make_task("l2-" + std::to_string(i), {parent}, std::move(params)));
    }
    for (int j = 0; j < 100; ++j) {
        strings deps;
        for (int i = j; i < 9800; i += 100)
            deps.push_back("l2-" + std::to_string(i));
        tasks.push_back(make_task("l3-" + std::to_string(j), std::move(deps)));
    }
    strings sink_deps;
    for (int j = 0; j < 100; ++j)
        sink_deps.push_back("l3-" + std::to_string(j));
    tasks.push_back(make_task("sink", std::move(sink_deps)));
    BOOST_REQUIRE_EQUAL(tasks.size(), 10000u);
    const auto w = make_workflow(std::move(tasks));

    resolver_dag r({});
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const auto analysis = r.analyze(w);
    const auto t1 = clock::now();
    BOOST_TEST(analysis.execution_order.size() == 10000u);
    BOOST_TEST(analysis.execution_order.front() == "root");
    BOOST_TEST(analysis.execution_order.back() == "sink");
    BOOST_TEST(analysis.ready_tasks == strings{"root"});

    std::deque<task> ready{make_task("root")};
    std::size_t completed = 0, released = 0, substituted = 0, finished_at = 0;
    while (!ready.empty()) {
        const task t = std::move(ready.front());
        ready.pop_front();
        if (t.id.starts_with("l2-") && t.params.at("n").is_int64() &&
            t.params.at("n").get_int64() == std::stoi(t.id.substr(3)) / 100)
            ++substituted;
        const auto n = t.id.starts_with("l1-") ? std::stoi(t.id.substr(3)) : -1;
        auto release = r.complete("w", ok(t.id, json::object{{"n", n}}));
        ++completed;
        BOOST_TEST(release.skipped.empty());
        if (release.workflow_finished)
            finished_at = completed;
        released += release.ready_tasks.size();
        for (auto& next : release.ready_tasks)
            ready.push_back(std::move(next));
    }
    const auto t2 = clock::now();
    BOOST_TEST(completed == 10000u);
    BOOST_TEST(released == 9999u);
    BOOST_TEST(substituted == 9800u);
    BOOST_TEST(finished_at == 10000u);
    // Again, on memory the allocator already has: the first run pays the page faults of
    // fresh memory, which dominate on a virtual machine.
    r.forget("w");
    const auto t3 = clock::now();
    BOOST_TEST(r.analyze(w).execution_order.size() == 10000u);
    const auto t4 = clock::now();
    using ms = std::chrono::duration<double, std::milli>;
    BOOST_TEST_MESSAGE("resolver-dag 10,000 tasks: analyze "
                       << ms(t1 - t0).count() << " ms (again: " << ms(t4 - t3).count()
                       << " ms), 10,000 completions " << ms(t2 - t1).count() << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
