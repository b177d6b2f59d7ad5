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

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
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

/// A frame at or above this size is large: it travels alone (a gathered write or a poll
/// answer takes smaller frames up to this many bytes), so a ping waits behind at most one
/// large frame, and a ping goes ahead of it (docs/architecture.md, "Heartbeats").
inline constexpr std::size_t batch_bytes = 64 * 1024;

/// A WebSocket stops reading its peer as soon as more than this waits to go out to it: a
/// client that sends requests and does not read the answers leaves its requests in the
/// kernel's buffers, not in the hub's memory. A polling session holding more than this for
/// a client that does not fetch may be closed (session::hoarding).
inline constexpr std::size_t read_pause_bytes = 16 * 1024;

/// A long-polling client that polls again within this long after its last GET was answered
/// is taken to be fetching what it is sent (engine_session.cpp, hoarding()).
inline constexpr std::chrono::milliseconds fetch_gap{1000};

/// A WebSocket that a session uses or probes. Implemented by the WebSocket connection.
class websocket_link {
public:
    using time_point = std::chrono::steady_clock::time_point;
    /// Runs on the strand once a frame written first has gone, with how long the write it
    /// waited behind took: the time the peer needs to take in what came before it.
    using sent_fn = std::function<void(std::chrono::steady_clock::duration behind)>;

    virtual ~websocket_link() = default;
    virtual void write(std::vector<frame> frames) = 0;
    /// Writes `f` ahead of every queued frame that has not started to go out, and runs
    /// `sent` once it has gone (not when the link fails first).
    virtual void write_first(frame f, sent_fn sent) = 0;
    /// The last time the link moved bytes to its peer; now when it has nothing to send.
    virtual time_point last_progress() const = 0;
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
    /// Answers the held poll with queued packets up to `budget` bytes, at least one.
    void flush(std::size_t budget = batch_bytes);
    /// Answers the held GET with `payload`: the client has fetched.
    void answer_poll(std::string payload);
    void arm_ping(std::chrono::milliseconds after);
    void on_ping_timer();
    /// Sends a ping ahead of everything queued; its pong is due ping_timeout after it left.
    void send_ping();
    void on_ping_left(std::uint64_t seq, std::chrono::steady_clock::duration behind);
    /// Whether a ping should go ahead of `frames`: on WebSocket, when they hold a large one
    /// and no ping is unanswered.
    bool wants_ping_before(const std::vector<frame>& frames) const;
    void finish(const std::string& reason, std::string_view poll_answer);
    /// Sets outbox_bytes_, and the endpoint's count of what waits for all polling sessions.
    void set_outbox_bytes(std::size_t bytes);
    /// Closes a polling session that holds what its client does not fetch, once the polling
    /// sessions together hold more than their budget; or looks again after the fetch gap.
    bool hoarding();
    void emit(std::vector<frame>& frames);

    strand_type strand_;
    std::string id_;
    std::shared_ptr<endpoint> owner_;
    metrics& metrics_;
    state state_ = state::polling;
    std::string close_reason_;
    // Heartbeat (docs/architecture.md, "Heartbeats"): at most one ping is unanswered.
    bool awaiting_pong_ = false;
    bool ping_left_ = false;      // the unanswered ping has gone out to the peer
    bool ping_in_outbox_ = false; // it waits at the front of outbox_ for a poll
    std::uint64_t ping_seq_ = 0;  // tells a late "sent" of an older ping from this one's
    bool flush_scheduled_ = false;
    bool post_in_progress_ = false;
    boost::asio::steady_timer ping_timer_;
    std::vector<frame> outbox_;
    std::size_t outbox_bytes_ = 0; // of outbox_, against max_buffered
    // When a GET last took from outbox_ (none yet: the epoch), and the check of hoarding()
    // for a client between two GETs, made when first needed.
    std::chrono::steady_clock::time_point last_fetch_{};
    std::unique_ptr<boost::asio::steady_timer> fetch_check_;
    std::shared_ptr<poll_request> poll_;
    std::shared_ptr<websocket_link> ws_;
    std::shared_ptr<websocket_link> probe_;
};

} // namespace gleitzeit::sio::engine
