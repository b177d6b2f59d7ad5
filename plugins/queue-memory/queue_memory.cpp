#include "queue_memory.hpp"

#include <algorithm>
#include <cmath>

namespace gleitzeit {

using queue_memory_detail::dispatch_queue;

namespace {

std::size_t max_size_of(const boost::json::value& v) {
    if (v.is_int64() && v.get_int64() >= 0)
        return static_cast<std::size_t>(v.get_int64());
    if (v.is_uint64())
        return static_cast<std::size_t>(v.get_uint64());
    throw error(error_code::invalid_argument,
                "queue-memory: max_size must be an integer >= 0 (0: unlimited)");
}

// What the record of a task can hold; checked at enqueue so that every record the queue
// exports is one that an importer accepts.
void check_enqueued(const task& t) {
    auto refuse = [&](const std::string& why) {
        throw error(error_code::invalid_argument, "queue-memory: task '" + t.id + "' " + why);
    };
    if (t.id.empty())
        throw error(error_code::invalid_argument, "queue-memory: a task without an id");
    if (static_cast<unsigned>(t.priority) >= queue_memory_detail::level_count)
        refuse("has no valid priority");
    if (static_cast<unsigned>(t.retry.kind) > static_cast<unsigned>(backoff::exponential))
        refuse("has no valid retry backoff");
    if (static_cast<unsigned>(t.state) > static_cast<unsigned>(task_state::skipped))
        refuse("has no valid state");
    if (!std::isfinite(t.retry.jitter))
        refuse("has a retry jitter that is not a finite number");
}

} // namespace

queue_memory::queue_memory(const boost::json::object& config, int format)
    : format_(format), tasks_(std::make_unique<dispatch_queue>()) {
    if (format != 1 && format != 2)
        throw error(error_code::internal, "queue-memory: built for state format " +
                                              std::to_string(format) + ", which it does not know");
    for (const auto& [key, value] : config) {
        if (key == "max_size")
            max_size_ = max_size_of(value);
        else
            throw error(error_code::invalid_argument,
                        "queue-memory: unknown config key '" + std::string(key) + "'");
    }
}

queue_memory::~queue_memory() = default;

void queue_memory::enqueue(task t) {
    check_enqueued(t);
    if (tasks_->contains(t.id))
        throw error(error_code::invalid_argument,
                    "queue-memory: task '" + t.id + "' is already queued");
    if (max_size_ != 0 && tasks_->size() >= max_size_)
        throw error(error_code::invalid_argument,
                    "queue full: " + std::to_string(tasks_->size()) + " tasks (max_size " +
                        std::to_string(max_size_) + "); task '" + t.id + "' refused");
    auto record = queue_memory_detail::encode_record(t);
    // The check an import applies, so that every record held can be exported, imported and
    // dequeued; it catches what the checks above leave, such as params nested too deep.
    try {
        scanner_.scan(record);
    } catch (const error& e) {
        throw error(error_code::invalid_argument,
                    "queue-memory: task '" + t.id + "' cannot be queued: its record " + e.what());
    }
    tasks_->push(t.id, t.protocol, t.priority, record);
    ++enqueued_total_;
    journal(true, record);
}

std::optional<task> queue_memory::dequeue(const std::vector<std::string>& protocols) {
    const auto* e = tasks_->first(protocols);
    if (!e)
        return std::nullopt;
    std::optional<task> t;
    try {
        t = queue_memory_detail::decode_record(e->record());
    } catch (...) {
        // Cannot happen for a record that enqueue wrote or import checked; should it all the
        // same, the task goes, so that one bad record does not block its level for good.
        journal(false, e->id());
        tasks_->erase(e);
        throw;
    }
    journal(false, e->id());
    tasks_->erase(e);
    ++dequeued_total_;
    return t;
}

bool queue_memory::remove(std::string_view task_id) {
    if (!tasks_->contains(task_id))
        return false;
    journal(false, task_id);
    return tasks_->erase(task_id);
}

queue_stats queue_memory::stats() const {
    queue_stats s;
    s.size = tasks_->size();
    for (std::size_t i = 0; i < queue_memory_detail::level_count; ++i)
        s.by_priority[i] = tasks_->size(static_cast<priority>(i));
    s.enqueued_total = enqueued_total_;
    s.dequeued_total = dequeued_total_;
    return s;
}

std::vector<std::string> queue_memory::list(std::size_t offset, std::size_t limit) const {
    std::vector<std::string> ids;
    if (offset >= tasks_->size() || limit == 0)
        return ids;
    ids.reserve(std::min(limit, tasks_->size() - offset));
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < queue_memory_detail::level_count; ++i) {
        auto level = static_cast<priority>(i);
        // Whole levels before the offset are skipped by their count, not walked.
        if (skipped + tasks_->size(level) <= offset) {
            skipped += tasks_->size(level);
            continue;
        }
        for (auto* e = tasks_->front(level); e && ids.size() < limit; e = e->in_level.next) {
            if (skipped < offset)
                ++skipped;
            else
                ids.emplace_back(e->id());
        }
        if (ids.size() == limit)
            break;
    }
    return ids;
}

} // namespace gleitzeit
