#pragma once
// The plugin half of gleitzeit.toml (docs/operations.md, "The config file"): [state], [plugins],
// [slots.<slot>] and [[providers]]. Paths in the model are resolved: relative ones against the
// directory of the config file, a plugin's file defaulting to <plugins.directory>/<plugin>.so.

#include "gleitzeit/plugin.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

// host/CMakeLists.txt sets this to where plugins/ installs them (cmake -DGLEITZEIT_PLUGINS_DIRECTORY=...).
#ifndef GLEITZEIT_PLUGINS_DIRECTORY
#define GLEITZEIT_PLUGINS_DIRECTORY "/usr/lib/gleitzeit/plugins"
#endif

namespace gleitzeit::config {

inline constexpr const char* default_plugins_directory = GLEITZEIT_PLUGINS_DIRECTORY;
inline constexpr const char* default_dropin_directory = "/etc/gleitzeit/plugins.d";
inline constexpr const char* default_state_directory = "/var/lib/gleitzeit";

struct state_settings {
    std::string directory = default_state_directory; // the SQLite database lives here
    /// Finished workflows the hub keeps in memory for query_status, newest first; an older
    /// one is forgotten by the hub (its rows stay in the database).
    std::size_t keep_finished = 1000;
    /// ... and at most this many tasks together: a few huge workflows go sooner.
    std::size_t keep_finished_tasks = 20000;
};

struct plugins_settings {
    std::string directory = default_plugins_directory; // where <plugin>.so files are found
    std::string dropin = default_dropin_directory;     // a .so dropped here is loaded live
    bool watch = true; // reload on a change of the config file or the drop-in directory
    /// How long a replaced provider generation may finish its in-flight calls.
    std::chrono::milliseconds drain_timeout{30000};
    /// How long the hub waits for a remote slot component's reply (docs/events.md, "Remote
    /// slots"); silence fails the call with timeout.
    std::chrono::milliseconds remote_timeout{10000};

    bool operator==(const plugins_settings&) const = default;
};

/// [slots.<slot>] of a stateful slot (queue, resolver, registry, persistence).
struct slot_settings {
    std::string plugin; // the plugin's name; may be empty for a remote slot
    /// The resolved .so path. For a remote slot it is only what the file says (resolved), never
    /// defaulted nor checked, because no library is loaded.
    std::string file;
    bool remote = false;        // filled by a remote component that registers for this slot
    boost::json::object config; // handed to the plugin's factory

    bool operator==(const slot_settings&) const = default;
};

/// One [[providers]] entry. Providers are keyed by `name`, unique in a config: one plugin may
/// run as several instances (two LLM endpoints), each a provider of its own for the registry.
struct provider_settings {
    std::string plugin;
    std::string name; // the instance's name; the plugin's name unless the entry gives one
    std::string file; // the resolved .so path
    boost::json::object config;

    bool operator==(const provider_settings&) const = default;
};

/// The slots a config fills. slot_kind::provider never appears: providers are many, and live
/// in [[providers]].
using slot_map = std::map<slot_kind, slot_settings>;

} // namespace gleitzeit::config
