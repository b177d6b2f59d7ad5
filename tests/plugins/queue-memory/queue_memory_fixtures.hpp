#pragma once
// What the queue-memory tests share: tasks to queue, what a queue holds, and how a refusal
// is checked.

#include "queue_memory.hpp"
#include "task_checks.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace queue_memory_test {

namespace json = boost::json;
using gleitzeit::error_code;
using gleitzeit::priority;
using gleitzeit::queue_memory;
using gleitzeit::task;


using strings = std::vector<std::string>;

inline constexpr std::size_t all = std::numeric_limits<std::size_t>::max();

inline task make_task(const std::string& id, priority p = priority::normal,
               const std::string& protocol = "echo/v1") {
    task t;
    t.id = id;
    t.workflow_id = "wf-1";
    t.name = "step " + id;
    t.protocol = protocol;
    t.method = "echo";
    t.params = {{"text", "hello " + id}};
    t.priority = p;
    t.state = gleitzeit::task_state::ready;
    return t;
}

/// A task with every field away from its default, and strings a record must escape.
inline task unusual_task(const std::string& id, priority p) {
    task t;
    t.id = id + " \"quoted\"\\ \n\t\x01 ünïcödé";
    t.workflow_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    t.name = std::string("not utf-8: \xff\xfe and a nul: ") + '\0' + "!";
    t.protocol = "llm/v2";
    t.method = "generate";
    t.params = json::parse(R"({"prompt": "x", "n": -3, "big": 18446744073709551615,
        "f": 0.1, "flag": true, "none": null, "deep": [[[[{"a": [1, 2.5e300, "s"]}]]]]})")
                   .as_object();
    // Deeper than Boost.JSON's default parse limit of 32.
    json::value deep = json::array{};
    for (int i = 0; i < 40; ++i)
        deep = json::array{deep};
    t.params["deeper"] = deep;
    t.dependencies = {"a", "b \"c\"", ""};
    t.priority = p;
    // Numbers at the edges of what an import takes (plugin-api's limits: durations up to 30
    // days, due_ms >= 0), and one that a double would round (2^53 + 1).
    t.timeout = std::chrono::milliseconds(2'591'999'999);
    t.retry.max_attempts = 4294967295u;
    t.retry.kind = gleitzeit::backoff::linear;
    t.retry.base_delay = std::chrono::milliseconds(250);
    t.retry.max_delay = std::chrono::milliseconds(2'592'000'000);
    t.retry.jitter = 0.3333333333333333;
    t.state = gleitzeit::task_state::retry_pending;
    t.attempt = 7;
    t.due_ms = 9007199254740993;
    return t;
}

using gleitzeit::task_checks::check_same;

inline strings ids(const queue_memory& q) {
    return q.list(0, all);
}

/// Ids in the order dequeue(protocols) hands them out, until it hands out none.
inline strings drain(queue_memory& q, const strings& protocols = {}) {
    strings out;
    while (auto t = q.dequeue(protocols))
        out.push_back(t->id);
    return out;
}

/// Checks that `f` throws gleitzeit::error with `code` and, unless `message` is empty,
/// exactly `message`.
inline void check_refused(const std::function<void()>& f, error_code code,
                   const std::string& message = "") {
    try {
        f();
    } catch (const gleitzeit::error& e) {
        BOOST_TEST(to_string(e.code()) == to_string(code));
        if (!message.empty())
            BOOST_TEST(std::string(e.what()) == message);
        return;
    } catch (const std::exception& e) {
        BOOST_FAIL("threw something other than gleitzeit::error: " << e.what());
    }
    BOOST_FAIL("did not throw");
}

inline json::object config(const std::string& text) {
    return json::parse(text).as_object();
}

/// A state read back from text. unusual_task's name is not UTF-8, which a std::string may
/// hold and the serializer writes as it is; a strict reader would refuse it.
inline json::object state_of(const std::string& text) {
    json::parse_options o;
    o.allow_invalid_utf8 = true;
    return json::parse(text, {}, o).as_object();
}


} // namespace queue_memory_test
