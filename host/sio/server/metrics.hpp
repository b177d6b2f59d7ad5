#pragma once
// Counters the server keeps for /health and /metrics. Lock-free on the packet path; the
// per-reason close and refusal counts take a mutex, but those are rare next to a packet.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace gleitzeit::sio {

/// Counts by reason. A mutex is fine: closes and refusals are rare next to packets.
class reason_counts {
public:
    void add(const std::string& reason) {
        std::lock_guard lock(mutex_);
        ++counts_[reason];
    }
    std::map<std::string, std::uint64_t> snapshot() const {
        std::lock_guard lock(mutex_);
        return counts_;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::uint64_t> counts_;
};

class metrics {
public:
    static constexpr std::size_t packet_types = 7; // Engine.IO types 0..6

    std::atomic<std::int64_t> sessions_open{0};
    std::atomic<std::uint64_t> sessions_total{0};
    std::atomic<std::int64_t> tcp_connections{0};
    std::array<std::atomic<std::uint64_t>, packet_types> packets_in{};
    std::array<std::atomic<std::uint64_t>, packet_types> packets_out{};
    std::atomic<std::uint64_t> bytes_in{0};
    std::atomic<std::uint64_t> bytes_out{0};

    void count_in(char type, std::size_t bytes) { count(packets_in, bytes_in, type, bytes); }
    void count_out(char type, std::size_t bytes) { count(packets_out, bytes_out, type, bytes); }

    /// Closed Engine.IO sessions, by close reason.
    reason_counts closed;
    /// Requests the guard refused, by "host" or "origin" (request_guard.hpp).
    reason_counts refused;

private:
    static void count(std::array<std::atomic<std::uint64_t>, packet_types>& per_type,
                      std::atomic<std::uint64_t>& total, char type, std::size_t bytes) {
        auto i = static_cast<std::size_t>(type - '0');
        if (i < packet_types)
            per_type[i].fetch_add(1, std::memory_order_relaxed);
        total.fetch_add(bytes, std::memory_order_relaxed);
    }
};

} // namespace gleitzeit::sio
