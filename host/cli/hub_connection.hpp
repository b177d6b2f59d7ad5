#pragma once
// The CLI's one connection to gleitzeitd: connect, ask (an acked event and the hub's reply),
// and hear the events of the rooms the hub put it in. Everything runs on the calling thread:
// the Socket.IO client's io_context turns only inside these calls, so the handlers need no
// locks. Asio and the Socket.IO client stay inside the .cpp.

#include "options.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace gleitzeit::cli {

/// The hub did not answer an acked event in time (the connection itself still stands).
class no_reply : public command_error {
public:
    using command_error::command_error;
};

class hub_connection {
public:
    using event_handler =
        std::function<void(const std::string& event, const boost::json::object& payload)>;
    enum class wait_result { done, interrupted, lost };

    /// Checks the URL (a usage error when it is not http:// or ws://); does not connect.
    explicit hub_connection(const global_options& options);
    ~hub_connection();
    hub_connection(const hub_connection&) = delete;
    hub_connection& operator=(const hub_connection&) = delete;

    /// Hears every event the hub sends on `/`. Set it before connect().
    void on_event(event_handler handler);
    /// Joins namespace `/` with the token. Throws command_error (exit_code::unreachable)
    /// naming the URL and why: refused TCP, an unknown host, a refused token, a timeout.
    void connect();
    /// Emits `event` with `payload` as its one argument (no argument when null) and returns
    /// the hub's reply, ok or not. No reply within the timeout throws no_reply, a lost
    /// connection command_error (both exit_code::unreachable).
    boost::json::object ask(const std::string& event, const boost::json::value& payload = nullptr);
    /// Turns the loop until `done()` holds, SIGINT or SIGTERM arrives, or the connection drops;
    /// calls `tick` (if any) about every `every` meanwhile, so a clock on screen keeps moving
    /// while no event comes.
    wait_result wait(const std::function<bool()>& done, const std::function<void()>& tick = {},
                     std::chrono::milliseconds every = std::chrono::milliseconds(250));
    /// Why the connection dropped, after wait() returned lost.
    std::string lost_reason() const;

    const std::string& url() const;

private:
    struct state;
    std::unique_ptr<state> state_;
};

/// The reply itself when it says ok; else throws command_error (exit_code::failed) with the
/// hub's "code: message", as the hub gave it.
boost::json::object require_ok(boost::json::object reply);

} // namespace gleitzeit::cli
