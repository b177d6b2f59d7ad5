#include "hub/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace gleitzeit::hub {

void rate_limit::set(const config::limit_settings& limits) {
    std::lock_guard lock(mutex_);
    per_second_ = limits.submissions_per_second;
    burst_ = limits.submission_burst
                 ? static_cast<double>(limits.submission_burst)
                 : std::max(1.0, std::ceil(2 * limits.submissions_per_second));
    buckets_.clear();
}

std::optional<std::chrono::milliseconds> rate_limit::take(const std::string& key,
                                                          clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (per_second_ <= 0)
        return std::nullopt;
    if (buckets_.size() >= 10'000)
        prune(now);
    auto [it, fresh] = buckets_.try_emplace(key, bucket{burst_, now});
    auto& b = it->second;
    if (!fresh) {
        const std::chrono::duration<double> passed = now - b.at;
        b.tokens = std::min(burst_, b.tokens + passed.count() * per_second_);
        b.at = now;
    }
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return std::nullopt;
    }
    const double wait_s = (1 - b.tokens) / per_second_;
    return std::chrono::milliseconds(static_cast<long long>(std::ceil(wait_s * 1000)));
}

void rate_limit::prune(clock::time_point now) {
    std::erase_if(buckets_, [&](const auto& kv) {
        const std::chrono::duration<double> passed = now - kv.second.at;
        return kv.second.tokens + passed.count() * per_second_ >= burst_;
    });
}

double rate_limit::per_second() const {
    std::lock_guard lock(mutex_);
    return per_second_;
}

} // namespace gleitzeit::hub
