#pragma once
// The queue slot: ready tasks waiting for a provider, by priority, FIFO within a priority.

#include "gleitzeit/plugin.hpp"
#include "gleitzeit/types.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit {

struct queue_stats {
    std::size_t size = 0;
    std::size_t by_priority[4] = {}; // indexed by gleitzeit::priority
    std::uint64_t enqueued_total = 0;
    std::uint64_t dequeued_total = 0;
};

class queue : public plugin {
public:
    ~queue() override;

    /// Adds `t` behind every task of its priority. Throws error(invalid_argument) for a
    /// task id already queued.
    virtual void enqueue(task t) = 0;
    /// Takes the first task, in dispatch order, whose protocol is in `protocols` (all
    /// protocols when empty).
    virtual std::optional<task> dequeue(const std::vector<std::string>& protocols) = 0;
    /// Removes a queued task; false if it is not queued.
    virtual bool remove(std::string_view task_id) = 0;
    virtual queue_stats stats() const = 0;
    /// Task ids in dispatch order, from `offset`, at most `limit` of them.
    virtual std::vector<std::string> list(std::size_t offset, std::size_t limit) const = 0;
};

} // namespace gleitzeit
