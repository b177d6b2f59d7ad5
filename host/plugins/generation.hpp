#pragma once
// One generation of a slot: a plugin instance, the library it came from, and the host
// services it was started with; or an instance that lives in the host itself (the proxy of a
// remote component, hub/remote_slots.hpp), with no library at all. Internal to host/plugins.
//
// Lifetime is the point of this class. Everything that may call back into the plugin (a
// posted function, a timer, a provider's completion) holds a shared_ptr to the generation,
// and the generation destroys the instance before it releases the library. So the library
// stays mapped while anything of the plugin can still run, and is unmapped right after.

#include "plugins/library.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace gleitzeit::plugins {

// Any executor: the persistence slot's strand runs on the blocking pool, the others on the
// event loop.
using strand = boost::asio::strand<boost::asio::any_io_executor>;

/// What all generations share: where to log, how to emit, where blocking work runs.
struct host_context {
    boost::asio::io_context& ioc;
    boost::asio::thread_pool& blocking;
    std::function<void(log_level, const std::string&)> log;
    /// `slot` is the emitting generation's slot, "queue" or "provider:<name>", so that the hub
    /// can tell a provider's task_progress from a plugin's own events.
    std::function<void(const std::string& slot, std::string_view event,
                       boost::json::object payload)>
        emit;
};

class generation : public std::enable_shared_from_this<generation> {
public:
    generation(std::uint64_t number, std::string slot_name, std::shared_ptr<library> lib,
               strand s, host_context& ctx);
    /// A generation of the remote component `component_id`: `instance` is its proxy.
    generation(std::uint64_t number, std::string slot_name, std::shared_ptr<plugin> instance,
               std::string component_id, std::string version, strand s, host_context& ctx);
    ~generation();

    /// Creates the instance (the plugin's constructor runs here). Throws what it throws.
    void create(const boost::json::object& config);
    plugin& instance() { return *instance_; }
    /// The config the instance was created with; empty for a remote component.
    const boost::json::object& config() const noexcept { return config_; }
    host& services();
    /// After stop() posted functions and timers of this generation no longer run.
    void stop();
    /// Destroys the instance now, with what it holds, on a thread that no strand of it runs
    /// on (the hub's exit). A provider keeps its open calls' completions, and each holds its
    /// generation: with a call cut off by the stop, the two would hold each other for good.
    void drop_instance();
    bool stopped() const noexcept { return stopped_; }
    /// Runs `fn`, which calls into the plugin; a throw is logged, never let through: a
    /// plugin's exception must not take the hub down.
    void guarded(const char* what, const std::function<void()>& fn) noexcept;

    std::uint64_t number() const noexcept { return number_; }
    /// Only for a generation loaded from a library (not remote()).
    const library& lib() const noexcept { return *lib_; }
    bool remote() const noexcept { return !lib_; }
    /// The plugin's name, or the remote component's id.
    const std::string& name() const noexcept;
    const std::string& version() const noexcept;
    /// The plugin file and its private copy; empty for a remote component.
    std::string file() const;
    std::string mapped() const;
    std::chrono::system_clock::time_point loaded_at() const noexcept { return loaded_at_; }
    std::map<std::string, double> gauges() const;

    double swap_pause_ms = -1; // the pause of the swap that made this generation current
    int in_flight = 0;         // provider calls running; only touched on the slot strand
    std::multiset<std::string> calls; // their task ids, to cancel them after a drain timeout

private:
    class services_impl;
    friend class services_impl;

    std::uint64_t number_;
    std::string slot_name_;
    std::shared_ptr<library> lib_;
    strand strand_;
    host_context& ctx_;
    std::string component_id_, component_version_; // a remote generation's
    std::unique_ptr<services_impl> services_;
    std::shared_ptr<plugin> instance_;
    boost::json::object config_;
    std::chrono::system_clock::time_point loaded_at_ = std::chrono::system_clock::now();
    bool stopped_ = false;
    mutable std::mutex mutex_; // timers and gauges: plugins may call host from any thread
};

} // namespace gleitzeit::plugins
