#pragma once
// One Engine.IO session: its transport (long-polling, WebSocket, or polling being upgraded),
// its outgoing packets, and its heartbeat. Every member runs on the session's strand; the
// transports and the upper layer reach it through dispatch, so it needs no lock.

#include "sio/protocol/engine_packet.hpp"
#include "sio/server/engine_options.hpp"
#include "sio/server/session_handler.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::sio {
class metrics;
}

namespace gleitzeit::sio::engine {

class endpoint;

/// A held long-polling request or a POST awaiting its answer. Implemented by the HTTP
/// connection that carries it; answer() may be called from any strand.
class poll_request {
public:
    virtual ~poll_request() = default;
    virtual void answer(unsigned status, std::string body) = 0;
};

/// A WebSocket that a session uses or probes. Implemented by the WebSocket connection.
class websocket_link {
public:
    virtual ~websocket_link() = default;
    virtual void write(std::vector<frame> frames) = 0;
    virtual void close() = 0;
};

class session : public std::enable_shared_from_this<session> {
public:
    using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

    session(strand_type strand, std::string id, std::shared_ptr<endpoint> owner);
    ~session();

    const std::string& id() const { return id_; }
    const strand_type& strand() const { return strand_; }

    // The upper layer's state for this session; touched on the strand only.
    std::shared_ptr<void> user;

    // --- for the upper layer; thread-safe ---
    /// Queues packets in order; a packet and its attachments go in one call.
    void send(std::vector<frame> frames);
    /// Closes the session from the server side.
    void close(std::string reason);

    // --- for the transports; on the strand ---
    /// Starts a long-polling session; returns the open packet to answer the handshake with.
    std::string start_polling();
    /// Starts a session whose first transport is this WebSocket.
    void start_websocket(std::shared_ptr<websocket_link> ws);
    void on_poll(std::shared_ptr<poll_request> get);
    void on_post(std::string body, std::shared_ptr<poll_request> reply);
    void on_request_too_large(std::shared_ptr<poll_request> reply);
    void on_poll_aborted(const poll_request* get);
    /// A WebSocket with this sid arrived: the start of an upgrade, or a conflict.
    void on_websocket(std::shared_ptr<websocket_link> ws);
    void on_ws_message(const websocket_link* ws, std::string_view data, bool binary);
    void on_ws_closed(const websocket_link* ws, std::string reason);

private:
    enum class state { polling, upgrading, websocket, closed };

    std::string open_packet(bool upgrades) const;
    bool handle_packet(const packet& p, bool from_probe);
    /// Whether polling requests may still come: not after an upgrade or the end.
    bool polling() const;
    /// Answers 400 to a polling request the session cannot take; with a reason the session
    /// ends too, since only a broken or hostile client sends it.
    void refuse(poll_request& r, const char* reason);
    void schedule_flush();
    void flush();
    void arm_ping(std::chrono::milliseconds after);
    void on_ping_timer();
    void finish(const std::string& reason, std::string_view poll_answer);
    void emit(std::vector<frame>& frames);

    strand_type strand_;
    std::string id_;
    std::shared_ptr<endpoint> owner_;
    metrics& metrics_;
    state state_ = state::polling;
    std::string close_reason_;
    bool awaiting_pong_ = false;
    bool flush_scheduled_ = false;
    bool post_in_progress_ = false;
    boost::asio::steady_timer ping_timer_;
    std::vector<frame> outbox_;
    std::shared_ptr<poll_request> poll_;
    std::shared_ptr<websocket_link> ws_;
    std::shared_ptr<websocket_link> probe_;
};

} // namespace gleitzeit::sio::engine
