#pragma once
// Per-client submission limits ([limits] in the config; docs/operations.md): a token bucket per
// key (a token's digest, or a connection without tokens) refills at `per_second` up to
// `burst`. A submission that finds the bucket empty is refused with rate_limited and the wait
// until the next one fits. Called from any of the event loop's threads.

#include "config/settings.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace gleitzeit::hub {

class rate_limit {
public:
    using clock = std::chrono::steady_clock;

    /// Takes a reloaded [limits]; buckets start full again.
    void set(const config::limit_settings& limits);
    /// Takes one submission for `key`: nullopt if it may go, else how long until one may.
    std::optional<std::chrono::milliseconds> take(const std::string& key,
                                                  clock::time_point now = clock::now());
    double per_second() const;

private:
    /// Drops the buckets that are full again: their clients sent nothing for a while, and a
    /// new bucket would be the same. Keeps the map small as connections come and go.
    void prune(clock::time_point now);

    struct bucket {
        double tokens = 0;
        clock::time_point at;
    };
    mutable std::mutex mutex_;
    double per_second_ = 0;
    double burst_ = 1;
    std::map<std::string, bucket> buckets_;
};

} // namespace gleitzeit::hub
