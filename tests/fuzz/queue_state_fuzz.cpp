// The state import of queue-memory (plugins/queue-memory/queue_state.cpp): formats queue/1 and
// queue/2, which a hot swap hands from one generation to the next, and which a hand-made
// state may hold as well. The host catches whatever import_state throws (host/plugins/slot.cpp),
// but the plugin API says a refusal is a gleitzeit::error.
//
// The input is the state as JSON text; both builds import it, queue-memory 1.x (format 1,
// queue/1 only) and 2.x (format 2, both formats), each over a queue that holds two tasks.
//
// Invariants:
// - import_state refuses only with gleitzeit::error(state_format or invalid_argument), and a
//   refused state changes nothing: the queue exports what it exported before;
// - an imported queue/2 state exports as itself; an imported queue/1 state exports its records
//   in dispatch order (by priority, in list order within one), and a second import of the
//   export exports the same again;
// - every task imported dequeues: the record the importer checked decodes, in dispatch order,
//   and the task is one the hub's codec would accept back (value_from, then value_to), so
//   that the hub never gets from its queue a task it could not have submitted.

#include "queue_memory.hpp"
#include "queue_state.hpp"
#include "task_record.hpp"

#include <gleitzeit/error.hpp>
#include <gleitzeit/types.hpp>

#include "fuzz_check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;
using gleitzeit::error;
using gleitzeit::error_code;
using gleitzeit::queue_memory;
namespace detail = gleitzeit::queue_memory_detail;

/// Two tasks, so that a refused import has something to keep.
void fill(queue_memory& q) {
    for (const char* id : {"before-1", "before-2"}) {
        gleitzeit::task t;
        t.id = id;
        t.protocol = "echo/v1";
        t.method = "echo";
        t.priority = gleitzeit::priority::high;
        q.enqueue(std::move(t));
    }
}

std::string format_of(const json::object& state) {
    return std::string(state.at("format").as_string());
}

/// The records of an export in dispatch order.
std::vector<std::string> records_of(const json::object& state) {
    std::vector<std::string> out;
    if (format_of(state) == detail::format_v1) {
        for (const auto& r : state.at("tasks").as_array())
            out.emplace_back(r.as_string());
        return out;
    }
    for (auto level : detail::level_names) {
        std::string_view lines(state.at("levels").at(level).as_string());
        for (std::size_t nl; (nl = lines.find('\n')) != std::string_view::npos;) {
            out.emplace_back(lines.substr(0, nl));
            lines.remove_prefix(nl + 1);
        }
    }
    return out;
}

/// The queue/1 records of `state` in dispatch order: by level, stable within one.
std::vector<std::string> dispatch_order(const json::object& state) {
    std::vector<std::pair<int, std::string>> keyed;
    detail::record_scanner scanner;
    for (const auto& r : state.at("tasks").as_array()) {
        std::string record(r.as_string());
        keyed.emplace_back(static_cast<int>(scanner.scan(record).level), record);
    }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (auto& k : keyed)
        out.push_back(std::move(k.second));
    return out;
}

/// Dequeues everything; the tasks must come in the order of `records` and decode from them.
void check_dequeues(queue_memory& q, const std::vector<std::string>& records) {
    for (const auto& record : records) {
        std::optional<gleitzeit::task> t;
        try {
            t = q.dequeue({});
        } catch (...) {
            gleitzeit::fuzz::escaped("dequeue of an imported task");
        }
        FUZZ_CHECK(t.has_value());
        FUZZ_CHECK(detail::encode_record(*t) ==
                   detail::encode_record(detail::decode_record(record)));
        try {
            json::value_to<gleitzeit::task>(json::value_from(*t));
        } catch (const error& e) {
            gleitzeit::fuzz::broken(e.what(), __FILE__, __LINE__);
        }
    }
    FUZZ_CHECK(!q.dequeue({}).has_value());
}

void check_import(const json::object& state, int build) {
    queue_memory q({}, build);
    fill(q);
    const std::vector<std::string> all{std::string(detail::format_v2),
                                       std::string(detail::format_v1)};
    const auto before = json::serialize(q.export_state(all));
    try {
        q.import_state(state);
    } catch (const error& e) {
        FUZZ_CHECK(e.code() == error_code::state_format ||
                   e.code() == error_code::invalid_argument);
        FUZZ_CHECK(json::serialize(q.export_state(all)) == before);
        return;
    }
    const auto format = format_of(state);
    auto exported = q.export_state({format});
    std::vector<std::string> order;
    if (format == detail::format_v2) {
        FUZZ_CHECK(json::value(exported) == json::value(state));
        order = records_of(state);
    } else {
        order = dispatch_order(state);
        FUZZ_CHECK(records_of(exported) == order);
    }
    queue_memory again({}, build);
    again.import_state(exported);
    FUZZ_CHECK(json::serialize(again.export_state({format})) == json::serialize(exported));
    FUZZ_CHECK(q.stats().size == order.size());
    check_dequeues(q, order);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // As a state arrives from the previous generation: records may hold any bytes, and
    // params nest as deep as a task's may.
    json::parse_options options;
    options.max_depth = 64;
    options.allow_invalid_utf8 = true;
    boost::system::error_code ec;
    auto v =
        json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec, {}, options);
    if (ec || !v.is_object())
        return 0;
    try {
        check_import(v.get_object(), 1);
        check_import(v.get_object(), 2);
    } catch (...) {
        gleitzeit::fuzz::escaped("queue-memory's import_state");
    }
    return 0;
}
