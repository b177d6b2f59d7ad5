#include "config/reload_plan.hpp"

#include <cstdio>

#include <algorithm>
#include <type_traits>

namespace gleitzeit::config {
namespace {

std::string text(const std::string& s) {
    return s;
}
std::string text(double d) {
    char out[32];
    std::snprintf(out, sizeof out, "%g", d);
    return out;
}
std::string text(bool b) {
    return b ? "true" : "false";
}
std::string text(std::chrono::milliseconds ms) {
    return std::to_string(ms.count());
}
template <class Int>
requires std::is_integral_v<Int> std::string text(Int v) {
    return std::to_string(v);
}
std::string text(const std::vector<std::string>& list) {
    std::string out = "[";
    for (const auto& s : list)
        out += (out.size() > 1 ? ", \"" : "\"") + s + "\"";
    return out + "]";
}

/// Compares one setting at a time and writes what changed into the plan.
class comparison {
public:
    explicit comparison(reload_plan& plan) : plan_(plan) {}

    template <class T> void restart(const char* name, const T& running, const T& next) {
        if (!(running == next))
            plan_.restart_needed.push_back(std::string(name) + ": " + text(running) + " -> " +
                                           text(next) + " (needs a restart)");
    }

    /// True when the setting changed.
    template <class T> bool live(const char* name, const T& running, const T& next) {
        if (running == next)
            return false;
        plan_.live.push_back(std::string(name) + ": " + text(running) + " -> " + text(next));
        return true;
    }

private:
    reload_plan& plan_;
};

void diff_server(comparison& c, const server_settings& a, const server_settings& b) {
    c.restart("server.bind", a.bind, b.bind);
    c.restart("server.port", a.port, b.port);
    c.restart("server.path", a.path, b.path);
    c.restart("server.threads", a.threads, b.threads);
    c.restart("server.max_connections", a.max_connections, b.max_connections);

    // Checked on every request, so a change applies to the next one.
    c.live("server.allowed_origins", a.allowed_origins, b.allowed_origins);
    c.live("server.allowed_hosts", a.allowed_hosts, b.allowed_hosts);
    // Sessions copy these when they open, and the Engine.IO endpoint is built once: a new
    // value waits for the next start rather than apply to some sessions and not others.
    c.restart("server.ping_interval", a.ping_interval, b.ping_interval);
    c.restart("server.ping_timeout", a.ping_timeout, b.ping_timeout);
    c.restart("server.connect_timeout", a.connect_timeout, b.connect_timeout);
    c.restart("server.heartbeat_interval", a.heartbeat_interval, b.heartbeat_interval);
    c.restart("server.request_timeout", a.request_timeout, b.request_timeout);
    c.restart("server.drain_timeout", a.drain_timeout, b.drain_timeout);
    c.restart("server.max_payload", a.max_payload, b.max_payload);
    c.restart("server.max_buffered", a.max_buffered, b.max_buffered);
}

void diff_slots(reload_plan& plan, const slot_map& running, const slot_map& next) {
    // Both maps are ordered by slot_kind, so one merge yields the actions in slot order.
    auto a = running.begin();
    auto b = next.begin();
    while (a != running.end() || b != next.end()) {
        slot_action act;
        if (b == next.end() || (a != running.end() && a->first < b->first)) {
            act = {a->first, slot_change::unload, a->second, std::nullopt};
            ++a;
        } else if (a == running.end() || b->first < a->first) {
            act = {b->first, slot_change::load, std::nullopt, b->second};
            ++b;
        } else {
            // A remote slot stays remote: its component is not reloaded by a change of the
            // table (a plugin, file or config it does not use), and a swap would empty it.
            const bool both_remote = a->second.remote && b->second.remote;
            auto change = a->second == b->second || both_remote ? slot_change::unchanged
                                                               : slot_change::swap;
            act = {a->first, change, a->second, b->second};
            ++a, ++b;
        }
        plan.slots.push_back(std::move(act));
    }
}

void diff_providers(reload_plan& plan, const std::vector<provider_settings>& running,
                    const std::vector<provider_settings>& next) {
    auto find = [](const std::vector<provider_settings>& list, const std::string& name) {
        return std::find_if(list.begin(), list.end(),
                            [&](const provider_settings& p) { return p.name == name; });
    };
    for (const auto& p : next) {
        auto old = find(running, p.name);
        if (old == running.end())
            plan.providers.push_back({p.name, provider_change::add, std::nullopt, p});
        else if (!(*old == p))
            plan.providers.push_back({p.name, provider_change::swap, *old, p});
    }
    for (const auto& p : running)
        if (find(next, p.name) == next.end())
            plan.providers.push_back({p.name, provider_change::remove, p, std::nullopt});
}

std::string label(const slot_settings& s) {
    return s.remote ? "remote" : s.plugin;
}

} // namespace

std::string_view to_string(slot_change c) noexcept {
    switch (c) {
    case slot_change::unchanged:
        return "unchanged";
    case slot_change::load:
        return "load";
    case slot_change::swap:
        return "swap";
    case slot_change::unload:
        return "unload";
    }
    return "unknown";
}

std::string_view to_string(provider_change c) noexcept {
    switch (c) {
    case provider_change::add:
        return "add";
    case provider_change::remove:
        return "remove";
    case provider_change::swap:
        return "swap";
    }
    return "unknown";
}

bool reload_plan::empty() const {
    return restart_needed.empty() && live.empty() && providers.empty() &&
           std::all_of(slots.begin(), slots.end(),
                       [](const slot_action& s) { return s.change == slot_change::unchanged; });
}

reload_plan diff(const settings& running, const settings& next) {
    reload_plan plan;
    comparison c(plan);
    diff_server(c, running.server, next.server);
    c.restart("state.directory", running.state.directory, next.state.directory);
    c.restart("state.keep_finished", running.state.keep_finished, next.state.keep_finished);
    c.restart("state.keep_finished_tasks", running.state.keep_finished_tasks,
              next.state.keep_finished_tasks);
    c.restart("plugins.directory", running.plugins.directory, next.plugins.directory);
    c.restart("plugins.dropin", running.plugins.dropin, next.plugins.dropin);

    // Tokens are secrets: the log says that they changed, never what they are.
    c.live("auth.revoke_grace", running.revoke_grace, next.revoke_grace);
    c.live("limits.submissions_per_second", running.limits.submissions_per_second,
           next.limits.submissions_per_second);
    c.live("limits.submission_burst", running.limits.submission_burst,
           next.limits.submission_burst);
    if (running.tokens != next.tokens) {
        plan.tokens_changed = true;
        plan.live.push_back("auth.tokens: changed");
    }
    plan.log_level_changed = c.live("log.level", running.log.level, next.log.level);
    // The watches and the plugin host are set up once, at start.
    c.restart("plugins.watch", running.plugins.watch, next.plugins.watch);
    c.restart("plugins.drain_timeout", running.plugins.drain_timeout, next.plugins.drain_timeout);
    c.restart("plugins.remote_timeout", running.plugins.remote_timeout,
              next.plugins.remote_timeout);

    diff_slots(plan, running.slots, next.slots);
    diff_providers(plan, running.providers, next.providers);
    return plan;
}

std::vector<std::string> describe(const reload_plan& plan) {
    std::vector<std::string> lines = plan.restart_needed;
    lines.insert(lines.end(), plan.live.begin(), plan.live.end());
    for (const auto& s : plan.slots) {
        std::string head = "slots." + std::string(gleitzeit::to_string(s.slot)) + ": ";
        switch (s.change) {
        case slot_change::unchanged:
            break;
        case slot_change::load:
            lines.push_back(head + "load " + label(*s.next));
            break;
        case slot_change::swap:
            lines.push_back(head + "swap " + label(*s.running) + " -> " + label(*s.next));
            break;
        case slot_change::unload:
            lines.push_back(head + "unload " + label(*s.running));
            break;
        }
    }
    for (const auto& p : plan.providers)
        lines.push_back("providers: " + std::string(to_string(p.change)) + " " + p.name +
                        (p.change == provider_change::remove ? " (drain)" : ""));
    return lines;
}

} // namespace gleitzeit::config
