#pragma once
// The Socket.IO v5 client: one Engine.IO connection (a "manager" in the JS client's terms)
// carrying any number of namespaces. It reads like the server's API: the same `message`,
// the same handler shapes, Boost.JSON arguments, binary attachments beside them.
//
//   boost::asio::io_context ioc;
//   sio::client c(ioc, "http://127.0.0.1:6680", {.transports = {"websocket"}});
//   auto& s = c.of("/", boost::json::object{{"token", "secret"}});
//   s.on("news", [](sio::message& m, const sio::namespace_handle::ack_fn& ack) { ... });
//   s.emit("echo", {{"hi"}}, std::chrono::seconds(5), [](std::optional<sio::message> r) { ... });
//   c.open();
//   ioc.run();
//
// Everything runs on the client's strand on the given io_context. emit, open and close
// are safe from any thread; register handlers (on, on_any, on_status) before open().

#include "sio/protocol/packet.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace gleitzeit::sio {

struct client_options {
    /// Transports in the order they are tried: {"polling", "websocket"} starts on
    /// long-polling and upgrades; {"websocket"} opens a WebSocket directly.
    std::vector<std::string> transports{"polling", "websocket"};
    bool upgrade = true;
    std::string path = "/socket.io/";
    /// Reconnection, as the JS client's options of the same names.
    bool reconnection = true;
    unsigned reconnection_attempts = 0; // 0: no limit
    std::chrono::milliseconds reconnection_delay{1000};
    std::chrono::milliseconds reconnection_delay_max{5000};
    double randomization_factor = 0.5;
    /// How long one attempt to open the connection may take.
    std::chrono::milliseconds timeout{20000};
};

/// What the application hears about the connection's life.
struct client_event {
    enum class kind {
        open,                // the Engine.IO connection is up (transport: `reason`)
        upgrade,             // moved to WebSocket
        connect,             // namespace `nsp` joined; `reason` holds its socket id
        connect_error,       // namespace `nsp` refused: `reason` = message, `data` = data
        disconnect,          // namespace `nsp` left, with `reason`
        close,               // the Engine.IO connection is gone, with `reason`
        reconnect_scheduled, // attempt `attempt` starts after `delay`
        reconnect_attempt,   // attempt `attempt` starts now
        reconnect,           // connected again after `attempt` attempts
        reconnect_failed,    // gave up after `attempt` attempts
    };
    kind what;
    std::string nsp;
    std::string reason;
    unsigned attempt = 0;
    std::chrono::milliseconds delay{0};
    boost::json::value data;
};

class client;
struct client_state;

/// The client's handle on one namespace it joined (what the JS client calls a socket; the
/// server's per-namespace object is sio::socket in host/sio/server). Lives as long as its
/// client.
class namespace_handle {
public:
    // The same shapes as the other side's sockets (packet.hpp).
    using ack_fn = sio::ack_fn;
    using event_handler = sio::event_handler;
    using any_handler = sio::any_handler;
    using reply_handler = sio::reply_handler;

    const std::string& nsp() const { return nsp_; }
    /// The socket id the server gave (empty while not connected).
    std::string id() const;
    bool connected() const;

    void on(std::string event, event_handler handler);
    void on_any(any_handler handler);

    /// Emits now, or once connected: emits made while disconnected wait in a buffer.
    void emit(std::string event, message m = {});
    void emit(std::string event, message m, std::chrono::milliseconds timeout,
              reply_handler on_reply);
    /// Leaves the namespace (the connection stays for other namespaces).
    void disconnect();

private:
    friend class client;
    friend struct client_state;
    namespace_handle(client_state* state, std::string nsp) : state_(state), nsp_(std::move(nsp)) {}
    client_state* state_; // owns this socket, so it outlives it
    std::string nsp_;
};

class client {
public:
    /// `url`: "http://host:port" (or ws://); the path comes from the options.
    client(boost::asio::io_context& ioc, std::string url, client_options opts = {});
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// The namespace `nsp`, joined with `auth` as its CONNECT payload once open.
    namespace_handle& of(const std::string& nsp, boost::json::value auth = {});
    void on_status(std::function<void(const client_event&)> handler);

    void open();
    /// Leaves every namespace and closes the connection; no reconnection follows.
    void close();

private:
    std::shared_ptr<client_state> state_;
};

} // namespace gleitzeit::sio
