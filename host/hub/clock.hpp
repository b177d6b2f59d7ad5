#pragma once
// Time as the pipeline sees it: the wall clock that a retry's due time is saved in, and
// alarms for timeouts, backoffs and waits for a provider. The daemon's clock is the real one
// (system_clock, Asio timers); tests/unit/hub drives a manual one, so that no test sleeps.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace gleitzeit::hub {

/// A pending alarm; destroying it cancels it.
class alarm {
public:
    virtual ~alarm() = default;
};

class clock {
public:
    virtual ~clock() = default;
    /// Milliseconds since the Unix epoch.
    virtual std::int64_t now_ms() const = 0;
    /// Calls `fn` once `delay` has passed, on any thread, unless the alarm is destroyed first.
    /// The caller hops to its own strand and checks there that the alarm is still wanted.
    virtual std::unique_ptr<alarm> after(std::chrono::milliseconds delay,
                                         std::function<void()> fn) = 0;
};

/// system_clock for now_ms, steady timers of `ioc` for the alarms.
std::unique_ptr<clock> real_clock(boost::asio::io_context& ioc);

} // namespace gleitzeit::hub
