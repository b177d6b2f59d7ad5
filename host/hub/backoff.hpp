#pragma once
// How long a failed task waits before its next attempt (docs/events.md, "Workflows"): fixed, linear
// or exponential in the attempt number, capped at max_delay, with jitter drawn uniformly in
// [-jitter, +jitter] of the delay.

#include <gleitzeit/types.hpp>

#include <chrono>

namespace gleitzeit::hub {

/// The delay after `attempt` (1 for the first failure) failed attempts.
std::chrono::milliseconds backoff_delay(const retry_policy& policy, unsigned attempt);

} // namespace gleitzeit::hub
