#pragma once
// What a reload has to do to get from the running config to the next one (docs/architecture.md,
// "Configuration and reload"): which settings only a restart can apply, which apply live, and per
// slot and provider what to load, swap or drain. Pure: it compares two validated settings and
// touches nothing.

#include "config/settings.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::config {

enum class slot_change {
    unchanged,
    load,   // configured now, not before
    swap,   // plugin, file, remote flag or config differ: hot swap (docs/architecture.md)
    unload, // configured before, not now
};

enum class provider_change {
    add,
    remove, // drain: in-flight calls finish, bounded by plugins.drain_timeout
    swap,   // file or config differ: a new generation takes new calls, the old one drains
};

std::string_view to_string(slot_change c) noexcept;
std::string_view to_string(provider_change c) noexcept;

struct slot_action {
    slot_kind slot{};
    slot_change change = slot_change::unchanged;
    std::optional<slot_settings> running; // absent for load
    std::optional<slot_settings> next;    // absent for unload
};

struct provider_action {
    std::string name; // the instance's (provider_settings::name)
    provider_change change = provider_change::add;
    std::optional<provider_settings> running; // absent for add
    std::optional<provider_settings> next;    // absent for remove
};

struct reload_plan {
    /// Settings whose change only a restart applies, e.g.
    /// "server.port: 6680 -> 6681 (needs a restart)". A reload applies the rest and keeps
    /// running with the old values of these.
    std::vector<std::string> restart_needed;
    /// Every change that applies live, one line each, for the log and the admin reply, e.g.
    /// "log.level: info -> debug" or "auth.tokens: changed".
    std::vector<std::string> live;

    bool tokens_changed = false;
    bool log_level_changed = false;

    /// One entry per slot configured in either config, in slot order; unchanged ones too, so
    /// that the plan says what happens to every slot.
    std::vector<slot_action> slots;
    /// Additions and swaps in the next config's order, then removals in the running order.
    /// A provider in both and unchanged has no entry.
    std::vector<provider_action> providers;

    /// Nothing to do: no restart needed, no live change, every slot unchanged, no provider
    /// action.
    bool empty() const;
};

reload_plan diff(const settings& running, const settings& next);

/// The plan as log lines: the restart and live lines, then one line per slot or provider
/// action that does something, e.g. "slots.queue: swap queue-memory -> queue-redis".
std::vector<std::string> describe(const reload_plan& plan);

} // namespace gleitzeit::config
