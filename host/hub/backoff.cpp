#include "hub/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace gleitzeit::hub {

std::chrono::milliseconds backoff_delay(const retry_policy& policy, unsigned attempt) {
    double base = static_cast<double>(policy.base_delay.count());
    double n = std::max(1u, attempt);
    double delay = policy.kind == backoff::fixed    ? base
                   : policy.kind == backoff::linear ? base * n
                                                    : base * std::pow(2.0, n - 1);
    delay = std::min(delay, static_cast<double>(policy.max_delay.count()));
    if (policy.jitter > 0) {
        thread_local std::mt19937_64 rng{std::random_device{}()};
        std::uniform_real_distribution<double> spread(-policy.jitter, policy.jitter);
        delay *= 1.0 + spread(rng);
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, delay)));
}

} // namespace gleitzeit::hub
