// queue_memory's state: export_state and import_state in the formats of queue_memory.hpp.

#include "queue_memory.hpp"
#include "task_record.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace gleitzeit {

namespace json = boost::json;
using queue_memory_detail::dispatch_queue;
using queue_memory_detail::level_count;
using queue_memory_detail::record_scanner;

namespace {

constexpr std::string_view format_v1 = "queue/1";
constexpr std::string_view format_v2 = "queue/2";
constexpr std::array<std::string_view, level_count> level_names{"urgent", "high", "normal", "low"};
constexpr std::array<std::string_view, 2> v1_keys{"format", "tasks"};
constexpr std::array<std::string_view, 3> v2_keys{"format", "levels", "stats"};
constexpr std::array<std::string_view, 2> stats_keys{"enqueued_total", "dequeued_total"};

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return "[" + out + "]";
}

[[noreturn]] void refuse(const std::string& why) {
    throw error(error_code::invalid_argument, "queue-memory: state " + why);
}

// Exactly `keys`, so that a field misspelt by a hand-made state is an error, not ignored.
void expect_keys(const json::object& o, std::span<const std::string_view> keys,
                 const std::string& where) {
    for (auto k : keys)
        if (!o.contains(k))
            refuse(where + "has no '" + std::string(k) + "'");
    if (o.size() != keys.size())
        for (const auto& kv : o)
            if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end())
                refuse(where + "has an unknown key '" + std::string(kv.key()) + "'");
}

// The records of a queue/2 level; memchr, because a byte loop over megabytes shows up in
// the pause.
std::size_t count_lines(std::string_view text) {
    std::size_t n = 0;
    for (const char *p = text.data(), *end = p + text.size();
         (p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr; ++p)
        ++n;
    return n;
}

std::uint64_t counter(const json::object& stats, std::string_view key) {
    const auto& v = stats.at(key);
    if (v.is_int64() && v.get_int64() >= 0)
        return static_cast<std::uint64_t>(v.get_int64());
    if (v.is_uint64())
        return v.get_uint64();
    refuse("stats." + std::string(key) + " is not an unsigned integer");
}

// Checks one record of an imported state and adds it behind the others of its level.
// `where` and `i` name it in errors; a record listed under a level must have that priority.
void import_record(std::string_view record, std::string_view where, std::size_t i,
                   std::optional<priority> level, record_scanner& scanner, dispatch_queue& into) {
    auto at = [&] { return std::string(where) + "[" + std::to_string(i) + "]"; };
    record_scanner::fields f;
    try {
        f = scanner.scan(record);
    } catch (const error& e) {
        refuse(at() + ": " + e.what());
    }
    if (f.id.empty())
        refuse(at() + " has an empty id");
    if (level && f.level != *level)
        refuse(at() + " (task '" + std::string(f.id) + "') has another priority than its level");
    if (!into.push(f.id, f.protocol, f.level, record))
        refuse(at() + ": task '" + std::string(f.id) + "' is listed twice");
}

} // namespace

std::vector<std::string> queue_memory::state_formats() const {
    if (format_ >= 2)
        return {std::string(format_v2), std::string(format_v1)};
    return {std::string(format_v1)};
}

json::object queue_memory::export_state(const std::vector<std::string>& accepted) {
    for (const auto& f : accepted) {
        if (f == format_v2 && format_ >= 2)
            return export_v2();
        if (f == format_v1)
            return export_v1();
    }
    throw error(error_code::state_format, "queue-memory: cannot write any of " + join(accepted) +
                                              "; it writes " + join(state_formats()));
}

json::object queue_memory::export_v1() const {
    json::object state;
    state.reserve(2);
    state.emplace("format", format_v1);
    auto& tasks = state["tasks"].emplace_array();
    tasks.reserve(tasks_->size());
    for (std::size_t i = 0; i < level_count; ++i)
        for (auto* e = tasks_->front(static_cast<priority>(i)); e; e = e->in_level.next)
            tasks.emplace_back(e->record());
    return state;
}

json::object queue_memory::export_v2() const {
    json::object state;
    state.reserve(3);
    state.emplace("format", format_v2);
    auto& levels = state["levels"].emplace_object();
    levels.reserve(level_count);
    for (std::size_t i = 0; i < level_count; ++i) {
        auto level = static_cast<priority>(i);
        std::size_t bytes = 0;
        for (auto* e = tasks_->front(level); e; e = e->in_level.next)
            bytes += e->record().size() + 1;
        auto& lines = levels[level_names[i]].emplace_string();
        lines.reserve(bytes);
        for (auto* e = tasks_->front(level); e; e = e->in_level.next) {
            lines.append(e->record());
            lines.push_back('\n');
        }
    }
    state["stats"] = {{"enqueued_total", enqueued_total_}, {"dequeued_total", dequeued_total_}};
    return state;
}

void queue_memory::import_state(const json::object& state) {
    const auto* format = state.if_contains("format");
    const auto* name = format ? format->if_string() : nullptr;
    const bool v1 = name && *name == format_v1;
    const bool v2 = name && *name == format_v2 && format_ >= 2;
    if (!name)
        throw error(error_code::state_format,
                    "queue-memory: the state names no format; it reads " + join(state_formats()));
    if (!v1 && !v2)
        throw error(error_code::state_format, "queue-memory: cannot read state format '" +
                                                  std::string(*name) + "'; it reads " +
                                                  join(state_formats()));

    // Everything is built aside and swapped in at the end: a bad state changes nothing.
    auto tasks = std::make_unique<dispatch_queue>();
    record_scanner scanner;
    std::uint64_t enqueued_total = 0;
    std::uint64_t dequeued_total = 0;
    if (v1) {
        expect_keys(state, v1_keys, "");
        const auto* records = state.at("tasks").if_array();
        if (!records)
            refuse("tasks is not an array");
        tasks->reserve(records->size());
        for (std::size_t i = 0; i < records->size(); ++i) {
            const auto* record = (*records)[i].if_string();
            if (!record)
                refuse("tasks[" + std::to_string(i) + "] is not a string");
            import_record({record->data(), record->size()}, "tasks", i, std::nullopt, scanner,
                          *tasks);
        }
    } else {
        expect_keys(state, v2_keys, "");
        const auto* levels = state.at("levels").if_object();
        if (!levels)
            refuse("levels is not an object");
        expect_keys(*levels, level_names, "levels ");
        std::array<std::string_view, level_count> lines;
        std::size_t total = 0;
        for (std::size_t i = 0; i < level_count; ++i) {
            const auto* s = levels->at(level_names[i]).if_string();
            if (!s)
                refuse("levels." + std::string(level_names[i]) + " is not a string");
            lines[i] = {s->data(), s->size()};
            total += count_lines(lines[i]);
        }
        tasks->reserve(total);
        for (std::size_t i = 0; i < level_count; ++i) {
            const std::string where = "levels." + std::string(level_names[i]);
            std::string_view rest = lines[i];
            for (std::size_t n = 0; !rest.empty(); ++n) {
                auto end = rest.find('\n');
                if (end == std::string_view::npos)
                    refuse(where + " does not end with a newline");
                import_record(rest.substr(0, end), where, n, static_cast<priority>(i), scanner,
                              *tasks);
                rest.remove_prefix(end + 1);
            }
        }
        const auto* stats = state.at("stats").if_object();
        if (!stats)
            refuse("stats is not an object");
        expect_keys(*stats, stats_keys, "stats ");
        enqueued_total = counter(*stats, "enqueued_total");
        dequeued_total = counter(*stats, "dequeued_total");
    }
    tasks_.swap(tasks);
    enqueued_total_ = enqueued_total;
    dequeued_total_ = dequeued_total;
}

} // namespace gleitzeit
