#pragma once
// Applies gleitzeit.toml to the running hub (docs/operations.md): the plugins it names at start, and
// every reload after, whatever its trigger (SIGHUP, a change of the file, reload_config).
//
// A reload parses and validates the file, diffs it against the running config and applies
// the difference as one transaction: every plugin file is checked first; then slots are
// swapped or loaded and providers added or swapped; if one of those fails, the ones done
// are put back and the running config stays. Unloads and provider removals come last, when
// nothing can fail any more. Settings that only a restart can apply are reported and keep
// their running values; everything else applies.

#include "config/reload_plan.hpp"
#include "config/settings.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gleitzeit::plugins {
class plugin_host;
}

namespace gleitzeit::reload {

struct reload_outcome {
    std::chrono::system_clock::time_point at;
    std::string trigger; // "start", "SIGHUP", "file change", "reload_config"
    bool ok = false;
    std::string error;                       // why it was rejected
    std::vector<std::string> applied;        // what changed, one line each
    std::vector<std::string> restart_needed; // what waits for a restart

    boost::json::object to_json() const;
};

class reloader : public std::enable_shared_from_this<reloader> {
public:
    using done_fn = std::function<void(const reload_outcome&)>;

    /// `apply_live` gets the new settings once plugins are in place (tokens, log level,
    /// session settings).
    reloader(std::string path, config::parse_options options, config::settings running,
             plugins::plugin_host& plugins,
             std::function<void(const config::settings&)> apply_live);

    /// Loads the slots and providers of the running config. For startup.
    void start(done_fn done);
    /// Reads the file again and applies it. Reloads never overlap: one asked for while
    /// another runs starts when that one ends.
    void reload(std::string trigger, done_fn done);

    reload_outcome last() const;
    config::settings running() const;
    /// Whether the running config marks `kind` remote: a component, not a plugin, fills it.
    bool configured_remote(slot_kind kind) const;
    /// The provider the running config names `plugin`, if it names one: what comes back when
    /// a drop-in that replaced it goes.
    std::optional<config::provider_settings> configured_provider(const std::string& name) const;
    const std::string& path() const noexcept { return path_; }

private:
    void run(std::string trigger, done_fn done);
    void apply(const config::settings& next, const config::reload_plan& plan,
               reload_outcome outcome, done_fn done);
    void finish(reload_outcome outcome, const done_fn& done);

    std::string path_;
    config::parse_options options_;
    plugins::plugin_host& plugins_;
    std::function<void(const config::settings&)> apply_live_;
    mutable std::mutex mutex_;
    config::settings running_;
    reload_outcome last_;
    bool busy_ = false;
    std::vector<std::pair<std::string, done_fn>> waiting_;
};

} // namespace gleitzeit::reload
