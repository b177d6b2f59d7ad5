#pragma once
// What the host offers a plugin. A plugin gets one `host` in start() and may keep it until
// stop() returns. Everything it posts or schedules runs on the plugin's slot strand, so a
// plugin needs no locks of its own; and it keeps the plugin's library loaded until it has run.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace gleitzeit {

enum class log_level { debug, info, warn, error };

class host {
public:
    using timer_id = std::uint64_t;

    virtual ~host();

    /// The plugin's executor: runs `fn` later on the slot strand.
    virtual void post(std::function<void()> fn) = 0;
    /// Runs `fn` on the host's blocking pool (SQLite, child processes); never on the event
    /// loop. Post back to the strand with post() to touch plugin state.
    virtual void post_blocking(std::function<void()> fn) = 0;
    /// Runs `fn` on the slot strand after `delay`, unless cancelled first.
    virtual timer_id start_timer(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
    virtual void cancel_timer(timer_id id) = 0;

    /// A line in the host's log, prefixed with the plugin's slot and name.
    virtual void log(log_level level, std::string_view message) = 0;
    /// Sets a gauge that /metrics shows as gleitzeit_plugin_<name>{slot="..."}.
    virtual void metric(std::string_view name, double value) = 0;
    /// Emits an event to the hub, which routes it like any component's (docs/plugins.md,
    /// section 4).
    virtual void emit(std::string_view event, boost::json::object payload) = 0;
};

} // namespace gleitzeit
