#pragma once
// Following one workflow to its end (run, exec, batch and watch): its events go to the live
// view, and a connection lost on the way is made again and the workflow watched from the last
// event seen (watch_workflow; docs/events.md, "Following a workflow"), so that a hub restart
// mid-run costs the view nothing.

#include "commands.hpp"
#include "hub_connection.hpp"
#include "progress.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gleitzeit::cli {

/// How long a lost hub is tried again before the CLI gives up (docs/cli.md, "Following").
inline constexpr std::chrono::seconds reconnect_window{60};

class follower {
public:
    explicit follower(progress& view) : view_(view) {}

    /// Hears the events of `hub` (before connect()).
    void listen(hub_connection& hub);
    /// The workflow is known: the events that came before its id go to the view now.
    void follow(std::string id);
    const std::string& id() const { return id_; }
    std::int64_t last_seq() const { return last_seq_; }
    progress& view() { return view_; }

private:
    void on_event(const std::string& event, const boost::json::object& payload);

    progress& view_;
    std::string id_;
    std::int64_t last_seq_ = 0;
    std::vector<std::pair<std::string, boost::json::object>> early_;
};

/// Waits on `hub` until the followed workflow ends. A lost connection is made again, for up
/// to reconnect_window, with watch_workflow from the last event seen; `hub` is then the new
/// connection. Throws command_error: exit_code::interrupted on SIGINT or SIGTERM,
/// exit_code::unreachable when the hub stays away.
void follow_to_end(const global_options& g, std::unique_ptr<hub_connection>& hub, follower& f);

/// Fills `out` once its workflow ended: the hub's table of it (or the view's, when the hub
/// cannot be asked), and the end event with its state (run_command.cpp).
void take_outcome(hub_connection& hub, progress& view, run_outcome& out);

/// follow_to_end (unless `wait` is false: the workflow is over already), then the view is
/// finished, on an error too, and `out` filled by take_outcome.
void follow_to_outcome(const global_options& g, std::unique_ptr<hub_connection>& hub, follower& f,
                       run_outcome& out, bool wait = true);

} // namespace gleitzeit::cli
