#pragma once
// queue-memory: the queue slot in memory. Priority levels urgent > high > normal > low, FIFO
// within a level; a dequeue may ask for certain protocols only.
//
// Config (the [slots.queue.config] table, as JSON):
//   max_size   optional integer >= 0; 0 or absent: unlimited. An enqueue beyond it is refused
//              with error(invalid_argument, "queue full ..."). An imported state is taken
//              whole even when it is larger: a swap must not drop tasks.
// Any other key is refused: error(invalid_argument, "queue-memory: unknown config key 'x'").
//
// State formats (export_state / import_state). Each task is one string, its record: the
// compact JSON array text of all its fields, written once at enqueue (task_record.hpp):
//
//   [id, workflow_id, name, protocol, method, params, dependencies, priority, timeout_ms,
//    [max_attempts, backoff, base_delay_ms, max_delay_ms, jitter], state, attempt, due_ms]
//
//   with priority 0 urgent, 1 high, 2 normal, 3 low; backoff 0 fixed, 1 linear,
//   2 exponential; state 0 pending, 1 ready, 2 executing, 3 completed, 4 failed,
//   5 retry_pending, 6 cancelled, 7 skipped (the order of the enums in types.hpp).
//
// "queue/1": every task in dispatch order; the counters of stats() are not carried.
//   {"format": "queue/1", "tasks": [<record>, ...]}
// "queue/2": per level, its records in FIFO order, each followed by a newline ("" when the
//   level is empty), and the counters. A record's priority must be the level it is under.
//   {"format": "queue/2",
//    "levels": {"urgent": "<record>\n<record>\n", "high": "...", "normal": "...",
//               "low": "..."},
//    "stats": {"enqueued_total": <uint>, "dequeued_total": <uint>}}
//   A record holds no raw newline: the JSON serializer escapes control characters.
//
// Why strings and not a JSON tree per task: a hot swap pauses the queue while the old
// generation exports and the new one imports (and the host frees the state). A tree costs
// an allocation per string, array and params key on each side and again to free; a record
// is one allocation in "queue/1", and "queue/2" carries a level in one string. The importer
// checks every record with one SAX pass rather than building it. Measured at 100,000 tasks
// in tests/unit/queue_memory_test.cpp.
//
// Handoff (gleitzeit/handoff.hpp): begin_handoff notes the tasks' entries, unordered, and
// holds erased ones; the snapshot puts them in order and writes their records as
// export_state would, off the strand. Meanwhile every enqueue, dequeue and remove is journaled, and finish_handoff
// returns the journal in the snapshot's format:
//   {"format": "queue/1" | "queue/2",
//    "changes": [["+", <record>] | ["-", <task id>], ...],   in the order they happened
//    "stats": {...}}                                          queue/2 only, as of the finish
//
// Formats by build: format 1 (queue-memory 1.x) reads and writes "queue/1"; format 2
// (2.x) reads both, prefers "queue/2", and writes "queue/1" when asked for it alone, so a
// swap back to 1.x works (Erlang's code_change down).

#include "dispatch_queue.hpp"
#include "task_record.hpp"

#include "gleitzeit/handoff.hpp"
#include "gleitzeit/queue.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

namespace gleitzeit {

class queue_memory : public queue, public state_handoff {
public:
    /// `format`: the newest state format this build reads and writes, 1 or 2.
    queue_memory(const boost::json::object& config, int format);
    ~queue_memory() override;

    void enqueue(task t) override;
    std::optional<task> dequeue(const std::vector<std::string>& protocols) override;
    bool remove(std::string_view task_id) override;
    queue_stats stats() const override;
    std::vector<std::string> list(std::size_t offset, std::size_t limit) const override;

    std::vector<std::string> state_formats() const override;
    boost::json::object export_state(const std::vector<std::string>& accepted) override;
    void import_state(const boost::json::object& state) override;

    snapshot_fn begin_handoff(const std::vector<std::string>& accepted) override;
    boost::json::object finish_handoff() override;
    void abandon_handoff() noexcept override;
    void import_changes(const boost::json::object& changes) override;

private:
    using entries = std::array<std::vector<const queue_memory_detail::dispatch_queue::entry*>,
                               queue_memory_detail::level_count>;
    struct counters {
        std::uint64_t enqueued_total = 0;
        std::uint64_t dequeued_total = 0;
    };
    struct change {
        bool added;       // "+": text is the record; "-": text is the task id
        std::string text;
    };

    /// The format of `accepted` to write: throws error(state_format) for none.
    std::string_view format_for(const std::vector<std::string>& accepted) const;
    /// Every task's entry per level, in FIFO order.
    entries snapshot() const;
    /// The same from dispatch_queue::unordered().
    static entries in_order(const queue_memory_detail::dispatch_queue::entry_list& all);
    static boost::json::object write_state(std::string_view format, const entries& tasks,
                                           counters stats);
    void journal(bool added, std::string_view text);

    int format_;
    std::size_t max_size_ = 0; // 0: unlimited
    // Behind a pointer so that import_state can build the new contents aside and swap.
    std::unique_ptr<queue_memory_detail::dispatch_queue> tasks_;
    queue_memory_detail::record_scanner scanner_; // checks what enqueue writes
    std::uint64_t enqueued_total_ = 0;
    std::uint64_t dequeued_total_ = 0;
    // Between begin_handoff and finish_handoff / abandon_handoff.
    std::optional<std::vector<change>> journal_;
    bool journal_lost_ = false; // a change could not be journaled: finish_handoff refuses
    std::string handoff_format_;
};

} // namespace gleitzeit
