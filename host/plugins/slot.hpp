#pragma once
// A slot of the hub and its generations (docs/architecture.md, "Hot swap"). Every call into the
// slot's plugin runs on the slot's strand, so a swap, which is one strand job, pauses the
// slot simply by running: calls that arrive meanwhile wait in the strand's queue and then
// reach the new generation, in order.
//
// Stateful slots swap like Erlang's code_change: create and start the new instance, export
// the old state in a format the new one reads, import it, then switch. When both generations
// derive from state_handoff (gleitzeit/handoff.hpp), the export and import run off the strand
// while the old generation serves, and the pause is only the two strand jobs around them
// (slot_handoff.cpp). Any failure leaves the old generation current, with its state untouched.
// Providers swap like nginx workers: new calls go to the new generation at once; the old one
// finishes its calls in flight, up to the drain timeout, then goes. At most two generations live at
// once.
//
// A remote slot is filled by a remote component instead (fill): its generation is the
// component's proxy, which waits for the component's replies, so its strand runs on the
// blocking pool, never on the event loop. When the component goes (vacate), the slot empties
// and may pause as a swap does: calls wait, up to a bound, for the next component. Internal
// to host/plugins.

#include "plugins/generation.hpp"

#include <gleitzeit/provider.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gleitzeit::plugins {

/// "a, b" ("none" for no names), for messages.
std::string join(const std::vector<std::string>& names);
/// What a caught exception says.
std::string what_of(std::exception_ptr e);

/// The outcome of a load, swap or unload: empty on success, else why it was refused.
using done_fn = std::function<void(const std::string& error)>;

/// A generation as list_plugins and /health show it.
struct generation_view {
    std::uint64_t number = 0;
    std::string name, version, file, mapped;
    std::chrono::system_clock::time_point loaded_at;
    double swap_pause_ms = -1; // -1: it was loaded, not swapped in
    bool draining = false;
    bool remote = false; // a remote component's; `name` is its component id
    int in_flight = 0;
};

class slot : public std::enable_shared_from_this<slot> {
public:
    /// `remote`: the slot of a remote component (its strand runs on the blocking pool).
    slot(std::string name, slot_kind kind, host_context& ctx, std::chrono::milliseconds drain,
         bool remote = false);

    const std::string& name() const noexcept { return name_; }
    slot_kind kind() const noexcept { return kind_; }
    bool remote() const noexcept { return remote_; }

    /// Loads `lib` into the slot, swapping out the current generation if there is one.
    void install(std::shared_ptr<library> lib, boost::json::object config, done_fn done);
    /// install() with the config the current generation was created with (none if empty):
    /// a new build of the same plugin, swapped in by file, keeps its settings.
    void install_keeping_config(std::shared_ptr<library> lib, done_fn done);
    /// Stops the current generation (a provider drains first) and empties the slot.
    void unload(done_fn done);
    /// Runs `fn` on the slot strand with the current instance, or null if the slot is empty.
    void with(std::function<void(plugin*)> fn);
    /// Provider slots: runs `call` on the current generation. `done` runs exactly once.
    void execute(method_call call, provider::done_fn done);

    /// Remote slots: makes `instance`, the proxy of the remote component `component_id`, the
    /// current generation; refused while the slot is filled. Calls held since the previous
    /// component went run on it first, in order.
    void fill(std::shared_ptr<plugin> instance, std::string component_id, std::string version,
              done_fn done);
    /// Remote slots: empties the slot if `component_id` fills it. Calls from then on wait up
    /// to `hold` (if any) for the next component, then get an empty slot.
    void vacate(std::string component_id, std::chrono::milliseconds hold, done_fn done);
    /// Remote slots, when a plugin replaces the component: the component's proxy stops, and
    /// the calls held for a next component go to `next`, in order.
    void hand_over(std::shared_ptr<slot> next);
    /// At exit: held calls are dropped and the hold ends, so that the blocking pool can be
    /// joined without waiting out the hold.
    void stop_holding();
    /// At exit, once no thread runs the event loop: each generation drops its instance
    /// (generation::drop_instance).
    void drop_instances();

    /// A snapshot, safe from any thread: the current generation first, then a draining one.
    std::vector<generation_view> view() const;
    std::map<std::string, double> gauges() const;

private:
    void prepare_on_strand(const std::shared_ptr<library>& lib, const boost::json::object& config,
                           const done_fn& done);
    void switch_on_strand(std::shared_ptr<generation> next, const done_fn& done);
    // slot_handoff.cpp: the swap of two state_handoff generations.
    void begin_handoff_on_strand(std::shared_ptr<generation> next, const done_fn& done);
    void finish_handoff_on_strand(std::shared_ptr<generation> next, const std::string& failed,
                                  double paused_ms, const done_fn& done);
    /// Makes `next` current; `started` is when this pause began, `paused_before` the ms of
    /// earlier pauses of the same swap.
    void land(std::shared_ptr<generation> next, std::chrono::steady_clock::time_point started,
              double paused_before, const done_fn& done);
    void roll_back(const std::shared_ptr<generation>& next, const std::string& why,
                   const done_fn& done);
    void refuse(const library& lib, const std::string& why, const done_fn& done);
    /// The formats `to` reads, into `accepted`; empty when `from` keeps no state. Non-empty
    /// return: why the swap cannot go on.
    std::string negotiate(generation& from, generation& to, std::vector<std::string>& accepted);
    std::string migrate_state(generation& from, generation& to);
    void retire(const std::shared_ptr<generation>& old);
    void drained(const std::shared_ptr<generation>& old);
    void publish();
    std::string log_name(const generation& g) const;
    /// Runs the held calls with the current instance (null: the hold ran out).
    void release_held();

    std::string name_;
    slot_kind kind_;
    bool remote_;
    host_context& ctx_;
    strand strand_;
    std::chrono::milliseconds drain_;
    std::uint64_t generations_ = 0;
    // Strand-only state.
    std::shared_ptr<generation> current_;
    std::shared_ptr<generation> draining_;   // a provider's previous generation
    std::weak_ptr<generation> retired_;      // a stateful slot's previous one, until unmapped
    bool swapping_ = false;                  // between preparing and switching
    int unload_waits_ = 0;                   // 5 ms waits for the previous generation to go
    std::shared_ptr<generation> view_current_; // current_ as other threads may see it
    std::unique_ptr<boost::asio::steady_timer> drain_timer_;
    std::vector<std::function<void(plugin*)>> held_;        // calls waiting for the next component
    std::unique_ptr<boost::asio::steady_timer> hold_timer_; // set while calls are held
    // What view() reads from other threads.
    mutable std::mutex view_mutex_;
    std::vector<generation_view> view_;
};

} // namespace gleitzeit::plugins
