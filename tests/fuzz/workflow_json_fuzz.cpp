// The JSON codec of the plugin API (plugin-api/src/types.cpp): submit_workflow's workflow
// becomes the workflow model through it (host/hub/pipeline_submit.cpp), and what remote
// providers and components send (a task_result, a protocol_spec, a method_call) does too.
//
// The input is JSON text, parsed as the Socket.IO decoder parses an event's arguments; it is
// read as each of those types in turn.
//
// Invariants:
// - value_to refuses only with gleitzeit::error(invalid_argument), whose message starts with
//   the path of the offending field ("workflow.tasks[2].retry.jitter: ..."), as types.hpp
//   promises; any other exception is a finding, though pipeline::submit would catch it;
// - what value_from writes, value_to reads again, to a value that writes the same JSON;
// - workflow_without_tasks writes the workflow's JSON without "tasks", key for key;
// - a task inside a workflow carries the workflow's id unless it names its own.

#include <gleitzeit/error.hpp>
#include <gleitzeit/types.hpp>

#include "fuzz_check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace {

namespace json = boost::json;
using gleitzeit::error;
using gleitzeit::error_code;

/// `v` read as a T, or nullopt for a refusal; aborts on anything that is not one.
template <class T> std::optional<T> read_as(const json::value& v, std::string_view root) {
    try {
        return json::value_to<T>(v);
    } catch (const error& e) {
        FUZZ_CHECK(e.code() == error_code::invalid_argument);
        FUZZ_CHECK(std::string_view(e.what()).starts_with(root));
        return std::nullopt;
    }
}

/// Written, read and written again: the two writings must be the same JSON.
template <class T> json::value round_trip(const T& x) {
    json::value written = json::value_from(x);
    T again;
    try {
        again = json::value_to<T>(written);
    } catch (...) {
        gleitzeit::fuzz::escaped("value_to of what value_from wrote");
    }
    FUZZ_CHECK(json::value_from(again) == written);
    return written;
}

void check_workflow(const json::value& v) {
    auto w = read_as<gleitzeit::workflow>(v, "workflow");
    if (!w)
        return;
    for (const auto& t : w->tasks)
        FUZZ_CHECK(!t.workflow_id.empty() || w->id.empty());
    auto written = round_trip(*w);
    auto without = gleitzeit::workflow_without_tasks(*w);
    auto expected = written.as_object();
    expected.erase("tasks");
    FUZZ_CHECK(json::value(without) == json::value(expected));
    FUZZ_CHECK(written.as_object().at("tasks").as_array().size() == w->tasks.size());
}

template <class T> void check_type(const json::value& v, std::string_view root) {
    if (auto x = read_as<T>(v, root))
        round_trip(*x);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boost::system::error_code ec;
    auto v = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec)
        return 0;
    try {
        check_workflow(v);
        check_type<gleitzeit::task>(v, "task");
        check_type<gleitzeit::task_result>(v, "task_result");
        check_type<gleitzeit::protocol_spec>(v, "protocol_spec");
        check_type<gleitzeit::method_call>(v, "method_call");
    } catch (...) {
        gleitzeit::fuzz::escaped("the plugin API's JSON codec");
    }
    return 0;
}
