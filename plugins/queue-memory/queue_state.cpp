// queue_memory's state: export_state and import_state in the formats of queue_memory.hpp.

#include "queue_memory.hpp"
#include "queue_state.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace gleitzeit {

namespace json = boost::json;
using namespace queue_memory_detail;

namespace queue_memory_detail {

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return "[" + out + "]";
}

void refuse(const std::string& why) {
    throw error(error_code::invalid_argument, "queue-memory: state " + why);
}

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

std::uint64_t counter(const json::object& stats, std::string_view key) {
    const auto& v = stats.at(key);
    if (v.is_int64() && v.get_int64() >= 0)
        return static_cast<std::uint64_t>(v.get_int64());
    if (v.is_uint64())
        return v.get_uint64();
    refuse("stats." + std::string(key) + " is not an unsigned integer");
}

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

} // namespace queue_memory_detail

namespace {

constexpr std::array<std::string_view, 2> v1_keys{"format", "tasks"};
constexpr std::array<std::string_view, 3> v2_keys{"format", "levels", "stats"};
constexpr std::array<std::string_view, 2> stats_keys{"enqueued_total", "dequeued_total"};

// The records of a queue/2 level; memchr, because a byte loop over megabytes shows up in
// the pause.
std::size_t count_lines(std::string_view text) {
    std::size_t n = 0;
    for (const char *p = text.data(), *end = p + text.size();
         (p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr; ++p)
        ++n;
    return n;
}

} // namespace

std::vector<std::string> queue_memory::state_formats() const {
    if (format_ >= 2)
        return {std::string(format_v2), std::string(format_v1)};
    return {std::string(format_v1)};
}

std::string_view queue_memory::format_for(const std::vector<std::string>& accepted) const {
    for (const auto& f : accepted) {
        if (f == format_v2 && format_ >= 2)
            return format_v2;
        if (f == format_v1)
            return format_v1;
    }
    throw error(error_code::state_format, "queue-memory: cannot write any of " + join(accepted) +
                                              "; it writes " + join(state_formats()));
}

queue_memory::entries queue_memory::snapshot() const {
    entries out;
    for (std::size_t i = 0; i < level_count; ++i) {
        auto level = static_cast<priority>(i);
        out[i].reserve(tasks_->size(level));
        for (auto* e = tasks_->front(level); e; e = e->in_level.next)
            out[i].push_back(e);
    }
    return out;
}

queue_memory::entries queue_memory::in_order(const dispatch_queue::entry_list& all) {
    entries out;
    for (const auto* e : all)
        out[static_cast<std::size_t>(e->level)].push_back(e);
    for (auto& level : out)
        std::sort(level.begin(), level.end(),
                  [](const auto* a, const auto* b) { return a->seq < b->seq; });
    return out;
}

json::object queue_memory::export_state(const std::vector<std::string>& accepted) {
    return write_state(format_for(accepted), snapshot(), {enqueued_total_, dequeued_total_});
}

// Reads only the entries' ids and records, which never change: it may run while the queue
// serves (begin_handoff).
json::object queue_memory::write_state(std::string_view format, const entries& tasks,
                                       counters stats) {
    json::object state;
    state.reserve(3);
    state.emplace("format", format);
    if (format == format_v1) {
        auto& records = state["tasks"].emplace_array();
        std::size_t n = 0;
        for (const auto& level : tasks)
            n += level.size();
        records.reserve(n);
        for (const auto& level : tasks)
            for (const auto* e : level)
                records.emplace_back(e->record());
        return state;
    }
    auto& levels = state["levels"].emplace_object();
    levels.reserve(level_count);
    for (std::size_t i = 0; i < level_count; ++i) {
        std::size_t bytes = 0;
        for (const auto* e : tasks[i])
            bytes += e->record().size() + 1;
        auto& lines = levels[level_names[i]].emplace_string();
        lines.reserve(bytes);
        for (const auto* e : tasks[i]) {
            lines.append(e->record());
            lines.push_back('\n');
        }
    }
    state["stats"] = {{"enqueued_total", stats.enqueued_total},
                      {"dequeued_total", stats.dequeued_total}};
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
