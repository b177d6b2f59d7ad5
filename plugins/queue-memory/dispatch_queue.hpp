#pragma once
// The queue's contents: task records in dispatch order (priority, then arrival), threaded on
// two kinds of intrusive lists at once, so that every operation the hub repeats is O(1):
// - a FIFO per priority level over all protocols, for dequeue with no filter, list and export;
// - a FIFO per (protocol, level), a "lane", for dequeue of one protocol without walking the
//   tasks of others (several protocols: the oldest head among their lanes, per level);
// - an index by id, for remove and the duplicate check.
// Each task is one heap block: the entry with its id and record behind it.

#include "gleitzeit/types.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gleitzeit::queue_memory_detail {

inline constexpr std::size_t level_count = 4;

class dispatch_queue {
    struct lane;

public:
    struct entry;
    struct links {
        entry* prev = nullptr;
        entry* next = nullptr;
    };
    struct entry {
        priority level;
        std::uint64_t seq; // arrival order, across levels and lanes
        lane* in_lane_of;
        links in_level;
        links in_lane;
        std::size_t id_size;
        std::size_t record_size;

        std::string_view id() const { return {chars(), id_size}; }
        std::string_view record() const { return {chars() + id_size, record_size}; }

    private:
        const char* chars() const { return reinterpret_cast<const char*>(this + 1); }
    };

    dispatch_queue() = default;
    ~dispatch_queue();
    dispatch_queue(const dispatch_queue&) = delete;
    dispatch_queue& operator=(const dispatch_queue&) = delete;

    bool contains(std::string_view id) const { return index_.contains(id); }
    std::size_t size() const { return index_.size(); }
    std::size_t size(priority level) const { return levels_[index_of(level)].size; }
    /// Room for `n` tasks in the index, so that a bulk insert does not rehash.
    void reserve(std::size_t n) { index_.reserve(n); }

    /// Puts a task behind every task of its level; false, and nothing changes, if `id` is
    /// queued already.
    bool push(std::string_view id, std::string_view protocol, priority level,
              std::string_view record);
    /// The first task in dispatch order whose protocol is one of `protocols` (any when empty).
    const entry* first(const std::vector<std::string>& protocols) const;
    void erase(const entry* e) noexcept;
    /// False if `id` is not queued.
    bool erase(std::string_view id) noexcept;

    /// The first task of `level`; the next ones follow entry::in_level.next.
    const entry* front(priority level) const { return levels_[index_of(level)].head; }

    /// Every task, in no order: a scan of the index's flat array, several times faster than
    /// walking the lists, whose entries lie all over the heap. An entry's level and seq never
    /// change, so the order can be restored later, on another thread.
    using entry_list = std::vector<const entry*>;
    entry_list unordered() const;

    /// While held, an erased task leaves the lists and the index but its memory stays, so
    /// that a snapshot of entries taken before (a state handoff) can still read their id and
    /// record from another thread. release_held() frees them and ends the hold.
    void hold_erased() noexcept { holding_ = true; }
    void release_held() noexcept;

private:
    struct fifo {
        entry* head = nullptr;
        entry* tail = nullptr;
        std::size_t size = 0;
    };
    struct lane {
        std::string_view protocol; // the key this lane is stored under
        std::array<fifo, level_count> levels;
        std::size_t size = 0;
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    static std::size_t index_of(priority p) { return static_cast<std::size_t>(p); }
    lane& lane_of(std::string_view protocol);
    const lane* find_lane(std::string_view protocol) const;
    void drop_lane(lane* l) noexcept;

    std::array<fifo, level_count> levels_;
    std::unordered_map<std::string, lane, string_hash, std::equal_to<>> lanes_;
    lane* last_lane_ = nullptr; // tasks come in runs of one protocol; saves a hash lookup
    boost::unordered_flat_map<std::string_view, entry*> index_; // keys view entries' ids
    std::uint64_t next_seq_ = 0;
    bool holding_ = false;
    std::vector<entry*> held_;
};

} // namespace gleitzeit::queue_memory_detail
