#pragma once
// The plugin manager of gleitzeitd (docs/architecture.md): the hub's slots and providers, each with
// its generations; loading, hot swap and unloading. Thread-safe: every call may come from any
// thread, and every outcome is reported through a callback.

#include <gleitzeit/provider.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace gleitzeit::plugins {

/// Empty on success, else why the operation was refused.
using done_fn = std::function<void(const std::string& error)>;

class plugin_host {
public:
    struct options {
        /// Where private copies of plugin files are made; created (mode 0700) if missing.
        std::filesystem::path private_dir;
        std::chrono::milliseconds drain_timeout{30000};
        std::function<void(log_level, const std::string&)> log; // default: the log sink (host/log)
        /// What plugins emit, with the emitting slot (host_context::emit).
        std::function<void(const std::string& slot, std::string_view event,
                           boost::json::object payload)>
            emit;
        /// How long a remote queue's calls wait for the next component after one went.
        std::chrono::milliseconds remote_hold{10000};
    };

    plugin_host(boost::asio::io_context& ioc, options opts);
    ~plugin_host();
    /// At the hub's exit, once no thread runs the event loop: every plugin instance goes,
    /// with the calls it still holds. A provider call cut off by the stop would otherwise
    /// keep its instance and its library to the end (generation::drop_instance).
    void drop_instances();

    /// Loads `file` into a stateful slot, or hot-swaps the slot's plugin for it.
    void set_slot(slot_kind kind, const std::filesystem::path& file, boost::json::object config,
                  done_fn done);
    /// Loads a provider plugin as the provider `name` (default: the plugin's own name), or
    /// hot-swaps the running provider of that name.
    void set_provider(const std::filesystem::path& file, boost::json::object config,
                      done_fn done, std::string name = {});
    /// The admin's swap_plugin: loads `file` into the stateful slot `kind`, or as the provider
    /// named after its plugin, with the config of the generation it replaces, so that a
    /// swapped-in build keeps its settings (an HTTP provider its allow list).
    void swap_file(slot_kind kind, const std::filesystem::path& file, done_fn done);
    /// Loads `file` wherever its descriptor says it belongs: a provider is added or swapped,
    /// a stateful plugin swaps the slot that runs a plugin of its name. For the drop-in
    /// directory.
    void install(const std::filesystem::path& file, boost::json::object config, done_fn done);
    /// Checks a plugin file as loading it would (ownership, ELF, descriptor, slot kind),
    /// without putting it anywhere. Empty if it would load, else why not.
    std::string check(const std::filesystem::path& file, std::optional<slot_kind> expected) const;
    /// Empties a stateful slot.
    void unload_slot(slot_kind kind, done_fn done);

    /// Fills an empty stateful slot with `instance`, the in-host proxy of the remote
    /// component `component_id` (no library). Its calls run on the blocking pool, since the
    /// proxy waits for the component's replies. Refused while the slot is filled.
    void fill_remote(slot_kind kind, std::shared_ptr<plugin> instance, std::string component_id,
                     std::string version, done_fn done);
    /// Empties the slot `component_id` fills, if it still does. A queue's calls from then on
    /// wait up to options::remote_hold for the next component to fill it.
    void vacate_remote(slot_kind kind, std::string component_id, done_fn done);
    /// `fn` is told of every stateful slot that was empty and got an instance (a plugin
    /// loaded, a remote component filled it), not of swaps, which carry the state over: the
    /// pipeline then gives the new instance what the old one took along. Set once, at start.
    void on_filled(std::function<void(slot_kind)> fn);
    /// Drains a provider and unloads it.
    void unload_provider(const std::string& name, done_fn done);

    /// Runs `fn` on the slot's strand with its current instance (null if the slot is empty).
    void with_slot(slot_kind kind, std::function<void(plugin*)> fn);
    /// Runs `fn` on the provider's strand with its current instance (null if none).
    void with_provider(const std::string& name, std::function<void(provider*)> fn);
    /// Runs a call on the named provider plugin; `done` runs exactly once.
    void execute(const std::string& provider, method_call call, provider::done_fn done);

    /// The slots and their generations, for list_plugins and /health.
    boost::json::array describe() const;
    /// Plugin gauges in Prometheus text format, for /metrics.
    std::string metrics_text() const;
    /// The provider plugins loaded now, by name.
    std::vector<std::string> providers() const;
    /// The providers whose current generation was loaded from `file`.
    std::vector<std::string> providers_from(const std::string& file) const;

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace gleitzeit::plugins
