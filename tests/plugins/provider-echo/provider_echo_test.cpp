// provider-echo on a test host (provider_echo_test_host.hpp): each method's result, every
// refusal with its exact message, cancel and stop with done counted, config, spec, metrics.

#include "provider_echo.hpp"
#include "provider_echo_test_host.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace json = boost::json;
using gleitzeit::error_code;
using gleitzeit::task_result;
using namespace std::chrono_literals;

namespace {

struct echo_fixture {
    explicit echo_fixture(const json::object& config = {})
        : provider(std::make_unique<gleitzeit::provider_echo>(config)) {
        provider->start(host);
    }

    /// A done that records its result and whether it ran inside a call into the provider.
    gleitzeit::provider::done_fn recorder() {
        return [this](task_result r) {
            reentered.push_back(inside_call);
            results.push_back(std::move(r));
        };
    }

    void call(const std::string& task_id, const std::string& method, const json::object& params,
              const std::string& protocol = "echo/v1") {
        inside_call = true;
        provider->execute({task_id, protocol, method, params, 30000ms}, recorder());
        inside_call = false;
    }

    void cancel(const std::string& task_id) {
        inside_call = true;
        provider->cancel(task_id);
        inside_call = false;
    }

    /// Runs the loop until it has no work, with a cap so that a timer left running by a bug
    /// shows up as a failed assertion rather than a hung test.
    void run(std::chrono::milliseconds cap = 5000ms) {
        io.restart();
        io.run_for(cap);
    }

    boost::asio::io_context io;
    provider_echo_test::test_host host{io};
    std::unique_ptr<gleitzeit::provider_echo> provider;
    std::vector<task_result> results;
    std::vector<bool> reentered;
    bool inside_call = false;
};

json::object obj(const char* text) {
    return json::parse(text).as_object();
}

std::string text(const json::value& v) {
    return json::serialize(v);
}

/// Results by task id, for calls whose completions may come in either order.
std::map<std::string, const task_result*> by_id(const std::vector<task_result>& results) {
    std::map<std::string, const task_result*> out;
    for (const task_result& r : results)
        out[r.task_id] = &r;
    return out;
}

/// Every metric() call since the last clear, as "name=value ...": comparable and printable.
std::string metrics_of(const provider_echo_test::test_host& h) {
    std::string out;
    for (const auto& [name, value] : h.metrics)
        out += name + "=" + std::to_string(static_cast<long long>(value)) + " ";
    return out;
}

void check_ok(const task_result& r, const std::string& task_id, const char* result_json) {
    BOOST_TEST(r.task_id == task_id);
    BOOST_TEST(r.provider == "provider-echo");
    BOOST_TEST(!r.error.has_value());
    BOOST_TEST_REQUIRE(r.result.has_value());
    BOOST_TEST(text(*r.result) == text(json::parse(result_json)));
}

void check_error(const task_result& r, const std::string& task_id, error_code code,
                 const std::string& message, bool retryable) {
    BOOST_TEST(r.task_id == task_id);
    BOOST_TEST(r.provider == "provider-echo");
    BOOST_TEST(!r.result.has_value());
    BOOST_TEST_REQUIRE(r.error.has_value());
    BOOST_TEST(gleitzeit::to_string(r.error->code) == gleitzeit::to_string(code));
    BOOST_TEST(r.error->message == message);
    BOOST_TEST(r.error->retryable == retryable);
}

/// The code and message the constructor refuses `config` with; "" when it accepts it.
std::string refusal(const char* config) {
    try {
        gleitzeit::provider_echo p(obj(config));
    } catch (const gleitzeit::error& e) {
        return std::string(gleitzeit::to_string(e.code())) + ": " + e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_echo_suite)

BOOST_AUTO_TEST_CASE(echo_returns_exactly_its_params_after_execute_returns) {
    echo_fixture f;
    const char* params = R"({"text":"hi","n":[1,2.5,-3],"nested":{"a":null,"b":true},"z":""})";
    f.call("t1", "echo", obj(params));
    BOOST_TEST(f.results.size() == 0u); // posted, not called inside execute()
    f.run();
    BOOST_TEST_REQUIRE(f.results.size() == 1u);
    check_ok(f.results[0], "t1", params);
    BOOST_TEST(f.reentered == std::vector<bool>{false});
    BOOST_TEST(f.host.posted == 1u);
}

BOOST_AUTO_TEST_CASE(echo_of_empty_params_is_an_empty_object) {
    echo_fixture f;
    f.call("t1", "echo", {});
    f.run();
    BOOST_TEST_REQUIRE(f.results.size() == 1u);
    check_ok(f.results[0], "t1", "{}");
}

BOOST_AUTO_TEST_CASE(delay_sleeps_at_least_ms_on_a_host_timer) {
    echo_fixture f;
    const auto t0 = std::chrono::steady_clock::now();
    f.call("d", "delay", obj(R"({"ms":50})"));
    BOOST_TEST(f.results.size() == 0u);
    BOOST_TEST_REQUIRE(f.host.started_timers.size() == 1u);
    BOOST_TEST(f.host.started_timers[0].second.count() == 50);
    f.run();
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    BOOST_TEST_REQUIRE(f.results.size() == 1u);
    check_ok(f.results[0], "d", R"({"slept_ms":50})");
    BOOST_TEST(elapsed >= 50ms);
    BOOST_TEST(f.results[0].duration_ms >= 50.0);
    BOOST_TEST(f.host.fired_timers == std::vector<gleitzeit::host::timer_id>{1});
    BOOST_TEST(f.reentered == std::vector<bool>{false});
}

BOOST_AUTO_TEST_CASE(delay_holds_no_thread_so_other_calls_complete_first) {
    echo_fixture f;
    f.call("slow", "delay", obj(R"({"ms":100})"));
    f.call("fast", "echo", obj(R"({"x":1})"));
    f.run();
    BOOST_TEST_REQUIRE(f.results.size() == 2u);
    check_ok(f.results[0], "fast", R"({"x":1})");
    check_ok(f.results[1], "slow", R"({"slept_ms":100})");
}

BOOST_AUTO_TEST_CASE(delay_accepts_both_ends_of_its_range) {
    echo_fixture f;
    f.call("zero", "delay", obj(R"({"ms":0})"));
    f.call("max", "delay", obj(R"({"ms":600000})"));
    BOOST_TEST_REQUIRE(f.host.started_timers.size() == 2u);
    BOOST_TEST(f.host.started_timers[0].second.count() == 0);
    BOOST_TEST(f.host.started_timers[1].second.count() == 600000);
    f.cancel("max");
    f.run();
    // The cancelled delivery and the 0 ms timer are both ready at once; either may go first.
    auto got = by_id(f.results);
    BOOST_TEST_REQUIRE(got.size() == 2u);
    check_ok(*got["zero"], "zero", R"({"slept_ms":0})");
    check_error(*got["max"], "max", error_code::cancelled, "cancelled", false);
}

BOOST_AUTO_TEST_CASE(fail_is_retryable_unless_told_otherwise) {
    echo_fixture f;
    f.call("a", "fail", obj(R"({"message":"disk on fire"})"));
    f.call("b", "fail", obj(R"({"message":"bad input","retryable":false})"));
    f.call("c", "fail", obj(R"({"message":"","retryable":true})"));
    BOOST_TEST(f.results.size() == 0u);
    f.run();
    BOOST_TEST_REQUIRE(f.results.size() == 3u);
    check_error(f.results[0], "a", error_code::provider_error, "disk on fire", true);
    check_error(f.results[1], "b", error_code::provider_error, "bad input", false);
    check_error(f.results[2], "c", error_code::provider_error, "", true);
    BOOST_TEST(f.reentered == (std::vector<bool>{false, false, false}));
}

BOOST_AUTO_TEST_CASE(bad_params_fail_with_a_precise_message_and_no_retry) {
    struct bad_case {
        const char* method;
        const char* params;
        const char* message;
    };
    const bad_case cases[] = {
        {"delay", "{}", "delay: params.ms is missing"},
        {"delay", R"({"ms":"10"})",
         "delay: params.ms must be an integer from 0 to 600000, got a string"},
        {"delay", R"({"ms":1.5})",
         "delay: params.ms must be an integer from 0 to 600000, got a floating-point number"},
        {"delay", R"({"ms":5.0})",
         "delay: params.ms must be an integer from 0 to 600000, got a floating-point number"},
        {"delay", R"({"ms":null})",
         "delay: params.ms must be an integer from 0 to 600000, got null"},
        {"delay", R"({"ms":true})",
         "delay: params.ms must be an integer from 0 to 600000, got a boolean"},
        {"delay", R"({"ms":[10]})",
         "delay: params.ms must be an integer from 0 to 600000, got an array"},
        {"delay", R"({"ms":{"v":1}})",
         "delay: params.ms must be an integer from 0 to 600000, got an object"},
        {"delay", R"({"ms":-1})", "delay: params.ms must be an integer from 0 to 600000, got -1"},
        {"delay", R"({"ms":600001})",
         "delay: params.ms must be an integer from 0 to 600000, got 600001"},
        {"delay", R"({"ms":18446744073709551615})",
         "delay: params.ms must be an integer from 0 to 600000, got 18446744073709551615"},
        {"delay", R"({"ms":10,"msec":10})", "delay: unknown param 'msec'"},
        {"fail", "{}", "fail: params.message is missing"},
        {"fail", R"({"retryable":false})", "fail: params.message is missing"},
        {"fail", R"({"message":7})", "fail: params.message must be a string, got an integer"},
        {"fail", R"({"message":null})", "fail: params.message must be a string, got null"},
        {"fail", R"({"message":"x","retryable":"no"})",
         "fail: params.retryable must be a boolean, got a string"},
        {"fail", R"({"message":"x","retryable":0})",
         "fail: params.retryable must be a boolean, got an integer"},
        {"fail", R"({"message":"x","retriable":false})", "fail: unknown param 'retriable'"},
    };
    for (const bad_case& c : cases) {
        BOOST_TEST_CONTEXT(c.method << " " << c.params) {
            echo_fixture f;
            f.call("t", c.method, obj(c.params));
            BOOST_TEST(f.results.size() == 0u);
            f.run();
            BOOST_TEST_REQUIRE(f.results.size() == 1u);
            check_error(f.results[0], "t", error_code::invalid_argument, c.message, false);
            BOOST_TEST(f.host.started_timers.size() == 0u);
            BOOST_TEST(f.reentered == std::vector<bool>{false});
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_method_and_foreign_protocol_are_not_found) {
    echo_fixture f;
    f.call("m", "shout", obj(R"({"text":"hi"})"));
    f.call("p", "echo", {}, "llm/v1");
    f.run();
    BOOST_TEST_REQUIRE(f.results.size() == 2u);
    check_error(f.results[0], "m", error_code::not_found, "echo/v1 has no method 'shout'", false);
    check_error(f.results[1], "p", error_code::not_found,
                "provider-echo does not serve protocol 'llm/v1'", false);
}

BOOST_AUTO_TEST_CASE(cancel_ends_a_running_delay_at_once_and_its_timer_never_fires) {
    echo_fixture f;
    f.call("d", "delay", obj(R"({"ms":60000})"));
    f.run(20ms); // the delay is running
    BOOST_TEST(f.results.size() == 0u);
    f.cancel("d");
    BOOST_TEST(f.host.cancelled_timers == std::vector<gleitzeit::host::timer_id>{1});
    BOOST_TEST(f.results.size() == 0u); // posted, not called inside cancel()
    f.run(2000ms);
    BOOST_TEST_REQUIRE(f.results.size() == 1u);
    check_error(f.results[0], "d", error_code::cancelled, "cancelled", false);
    BOOST_TEST(f.reentered == std::vector<bool>{false});
    BOOST_TEST(f.host.live_timers() == 0u);
    BOOST_TEST(f.host.fired_timers.empty());
    BOOST_TEST(f.provider->running() == 0u);
}

BOOST_AUTO_TEST_CASE(a_timer_that_fires_after_its_cancel_does_not_call_done_again) {
    echo_fixture f;
    f.host.ignore_cancel = true;
    f.call("d", "delay", obj(R"({"ms":30})"));
    f.cancel("d");
    f.run();
    BOOST_TEST(f.host.fired_timers == std::vector<gleitzeit::host::timer_id>{1});
    BOOST_TEST_REQUIRE(f.results.size() == 1u);
    check_error(f.results[0], "d", error_code::cancelled, "cancelled", false);
}

BOOST_AUTO_TEST_CASE(a_timer_queued_before_its_cancel_does_not_decide_the_result) {
    echo_fixture f;
    f.call("d", "delay", obj(R"({"ms":60000})"));
    f.cancel("d");
    f.host.fire_now(1); // the timer's handler runs after cancel, before the posted delivery
    BOOST_TEST(f.results.size() == 0u);
    f.run(2000ms);
    BOOST_TEST_REQUIRE(f.results.size() == 1u);
    check_error(f.results[0], "d", error_code::cancelled, "cancelled", false);
}

BOOST_AUTO_TEST_CASE(posts_and_timers_that_outlive_the_provider_do_nothing) {
    echo_fixture f;
    f.call("d", "delay", obj(R"({"ms":5})"));
    f.call("e", "echo", {});
    f.provider.reset(); // a host that destroys without stop: nothing may touch the instance
    f.run();
    BOOST_TEST(f.host.fired_timers.size() == 1u);
    BOOST_TEST(f.results.size() == 0u);
}

BOOST_AUTO_TEST_CASE(cancel_of_an_unknown_or_finished_call_changes_nothing) {
    echo_fixture f;
    f.call("d", "delay", obj(R"({"ms":10})"));
    f.call("e", "echo", obj(R"({"v":1})"));
    f.cancel("nobody");
    f.cancel("e"); // echo has its result already; only the delivery is pending
    BOOST_TEST(f.host.cancelled_timers.empty());
    f.run();
    BOOST_TEST_REQUIRE(f.results.size() == 2u);
    check_ok(f.results[0], "e", R"({"v":1})");
    check_ok(f.results[1], "d", R"({"slept_ms":10})");
    f.cancel("d"); // finished
    f.run();
    BOOST_TEST(f.results.size() == 2u);
    BOOST_TEST(f.host.cancelled_timers.empty());
}

BOOST_AUTO_TEST_CASE(two_deliveries_of_one_task_each_get_their_own_done) {
    echo_fixture f;
    f.call("t", "delay", obj(R"({"ms":60000})"));
    f.call("t", "delay", obj(R"({"ms":60000})"));
    BOOST_TEST(f.provider->running() == 2u);
    f.cancel("t");
    BOOST_TEST(f.host.cancelled_timers == (std::vector<gleitzeit::host::timer_id>{1, 2}));
    f.run(2000ms);
    BOOST_TEST_REQUIRE(f.results.size() == 2u);
    check_error(f.results[0], "t", error_code::cancelled, "cancelled", false);
    check_error(f.results[1], "t", error_code::cancelled, "cancelled", false);
    BOOST_TEST(f.host.live_timers() == 0u);
}

BOOST_AUTO_TEST_CASE(stop_completes_every_open_call_exactly_once) {
    echo_fixture f;
    f.call("a", "delay", obj(R"({"ms":60000})"));
    f.call("b", "delay", obj(R"({"ms":60000})"));
    f.call("c", "echo", obj(R"({"k":"v"})"));
    f.call("d", "fail", obj(R"({"message":"no","retryable":false})"));
    f.provider->stop();
    // Synchronously: the host drops what is posted after stop.
    BOOST_TEST_REQUIRE(f.results.size() == 4u);
    auto got = by_id(f.results);
    BOOST_TEST_REQUIRE(got.size() == 4u);
    check_error(*got["a"], "a", error_code::cancelled, "cancelled", false);
    check_error(*got["b"], "b", error_code::cancelled, "cancelled", false);
    check_ok(*got["c"], "c", R"({"k":"v"})");
    check_error(*got["d"], "d", error_code::provider_error, "no", false);
    BOOST_TEST(f.host.cancelled_timers.size() == 2u);
    BOOST_TEST(f.host.gauges["running"] == 0.0);
    f.run(2000ms); // the posted deliveries of c and d find nothing open
    BOOST_TEST(f.results.size() == 4u);
    BOOST_TEST(f.host.live_timers() == 0u);
    BOOST_TEST(f.host.fired_timers.empty());
}

BOOST_AUTO_TEST_CASE(timers_that_fire_after_stop_do_not_call_done_again) {
    echo_fixture f;
    f.host.ignore_cancel = true;
    f.call("a", "delay", obj(R"({"ms":20})"));
    f.call("b", "delay", obj(R"({"ms":30})"));
    f.provider->stop();
    BOOST_TEST(f.results.size() == 2u);
    f.run();
    BOOST_TEST(f.host.fired_timers.size() == 2u);
    BOOST_TEST(f.results.size() == 2u);
}

BOOST_AUTO_TEST_CASE(calls_after_stop_or_before_start_are_answered_at_once) {
    echo_fixture f;
    f.provider->stop();
    f.call("late", "echo", {});
    BOOST_TEST_REQUIRE(f.results.size() == 1u);
    check_error(f.results[0], "late", error_code::cancelled, "provider-echo is stopped", false);

    gleitzeit::provider_echo fresh({});
    std::vector<task_result> got;
    fresh.execute({"early", "echo/v1", "echo", {}, 1000ms},
                  [&](task_result r) { got.push_back(std::move(r)); });
    BOOST_TEST_REQUIRE(got.size() == 1u);
    BOOST_TEST(got[0].task_id == "early");
    BOOST_TEST(got[0].error->message == "provider-echo is not started");
    BOOST_TEST(gleitzeit::to_string(got[0].error->code) == "plugin_error");
}

BOOST_AUTO_TEST_CASE(a_done_may_call_the_provider_again) {
    echo_fixture f;
    std::vector<std::string> order;
    f.provider->execute({"first", "echo/v1", "echo", {}, 1000ms}, [&](task_result r) {
        order.push_back(r.task_id);
        f.provider->execute({"second", "echo/v1", "delay", obj(R"({"ms":1})"), 1000ms},
                            [&](task_result r2) { order.push_back(r2.task_id); });
    });
    f.run();
    BOOST_TEST(order == (std::vector<std::string>{"first", "second"}));
    BOOST_TEST(f.provider->running() == 0u);
}

BOOST_AUTO_TEST_CASE(max_concurrency_comes_from_config_with_a_default_of_64) {
    BOOST_TEST(gleitzeit::provider_echo(obj("{}")).max_concurrency() == 64u);
    BOOST_TEST(gleitzeit::provider_echo(obj(R"({"max_concurrency":1})")).max_concurrency() == 1u);
    BOOST_TEST(gleitzeit::provider_echo(obj(R"({"max_concurrency":100000})")).max_concurrency() ==
               100000u);
}

BOOST_AUTO_TEST_CASE(config_errors_are_refused_with_their_exact_message) {
    const std::string range = "invalid_argument: provider-echo: max_concurrency must be an "
                              "integer from 1 to 100000, got ";
    BOOST_TEST(refusal(R"({"max_concurrency":0})") == range + "0");
    BOOST_TEST(refusal(R"({"max_concurrency":-5})") == range + "-5");
    BOOST_TEST(refusal(R"({"max_concurrency":100001})") == range + "100001");
    BOOST_TEST(refusal(R"({"max_concurrency":"8"})") == range + "a string");
    BOOST_TEST(refusal(R"({"max_concurrency":8.0})") == range + "a floating-point number");
    BOOST_TEST(refusal(R"({"max_concurrency":true})") == range + "a boolean");
    BOOST_TEST(refusal(R"({"max_concurrency":8,"workers":2})") ==
               "invalid_argument: provider-echo: unknown config key 'workers'");
    BOOST_TEST(refusal(R"({"max_concurrency":8})") == "");
}

BOOST_AUTO_TEST_CASE(protocols_declare_echo_v1_with_its_schemas) {
    gleitzeit::provider_echo p({});
    const char* expected = R"([{"id":"echo/v1",
        "description":"Answers calls without doing work: for tests, benchmarks and trying out a setup.",
        "methods":[
         {"name":"echo","description":"Returns its params object unchanged, as the result.",
          "params":{}},
         {"name":"delay",
          "description":"Waits ms milliseconds without holding a thread, then returns {\"slept_ms\": ms}.",
          "params":{"ms":{"type":"integer","required":true,
                          "description":"how long to sleep, in milliseconds",
                          "minimum":0,"maximum":600000}}},
         {"name":"fail",
          "description":"Fails the call with error code provider_error and the given message.",
          "params":{"message":{"type":"string","required":true,
                               "description":"the error message the call fails with"},
                    "retryable":{"type":"boolean","required":false,
                                 "description":"whether the hub may retry the failed call; true when absent"}}}]}])";
    BOOST_TEST(text(json::value_from(p.protocols())) == text(json::parse(expected)));
    BOOST_TEST(p.state_formats().empty());
}

BOOST_AUTO_TEST_CASE(metrics_count_calls_and_what_is_running) {
    echo_fixture f;
    BOOST_TEST(metrics_of(f.host) == "calls_total=0 running=0 ");
    BOOST_TEST_REQUIRE(f.host.logs.size() == 1u);
    BOOST_TEST(static_cast<int>(f.host.logs[0].first) ==
               static_cast<int>(gleitzeit::log_level::info));
    BOOST_TEST(f.host.logs[0].second == "serving echo/v1 with max_concurrency 64");
    f.host.metrics.clear();

    f.call("e", "echo", {});
    f.call("d", "delay", obj(R"({"ms":5})"));
    f.call("x", "nope", {});
    BOOST_TEST(metrics_of(f.host) ==
               "calls_total=1 running=1 calls_total=2 running=2 calls_total=3 running=3 ");
    BOOST_TEST(f.provider->running() == 3u);
    f.host.metrics.clear();
    f.run();
    BOOST_TEST(f.results.size() == 3u);
    BOOST_TEST(metrics_of(f.host) == "running=2 running=1 running=0 ");
    BOOST_TEST(f.host.gauges["calls_total"] == 3.0);
    BOOST_TEST(f.provider->running() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
