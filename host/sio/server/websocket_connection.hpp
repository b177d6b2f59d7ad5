#pragma once
// One WebSocket carrying an Engine.IO session, directly or as the target of an upgrade.
// It runs on its session's strand. The HTTP connection checks the opening handshake; after
// that the connection frames by itself (protocol/ws_frame.hpp): it reads whatever has arrived into
// a buffer shared by the thread's connections, so an idle connection holds no read buffer, and it
// sends queued frames with one gathered write, up to engine::batch_bytes or one large frame; a
// frame written first (a ping) goes ahead of those queued (docs/architecture.md, "Heartbeats").
// Internal to host/sio/server.

#include "sio/protocol/ws_frame.hpp"
#include "sio/server/engine_session.hpp"
#include "sio/server/http_server_state.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gleitzeit::sio {

class websocket_connection : public engine::websocket_link,
                             private ws::frame_reader::listener,
                             public std::enable_shared_from_this<websocket_connection> {
public:
    using strand_type = engine::session::strand_type;

    /// `existing` is the session being upgraded, or null for a WebSocket-only session.
    websocket_connection(boost::asio::ip::tcp::socket socket, strand_type strand,
                         std::shared_ptr<engine::endpoint> ep,
                         std::shared_ptr<engine::session> existing,
                         std::shared_ptr<http_server_state> server);
    ~websocket_connection() override;

    /// Starts the connection: `handshake` is the 101 response, which leaves in the same
    /// write as the first frames.
    void accept(std::string handshake);

    void write(std::vector<engine::frame> frames) override;
    void write_first(engine::frame f, sent_fn sent) override;
    time_point last_progress() const override;
    void close() override;

private:
    void wait_readable();
    void on_readable();
    bool on_message(ws::opcode op, std::string_view payload) override;
    bool on_control(ws::opcode op, std::string_view payload) override;
    void send_control(ws::opcode op, std::string payload);
    void fail(std::uint16_t code, const std::string& reason);
    /// After the hub's close frame is queued: frames are no longer read, and the TCP
    /// connection goes once the peer has hung up, or after a grace.
    void begin_closing();
    void flush();
    /// Moves the next write's frames into sending_: those written first, then queued ones up
    /// to batch_bytes or one frame of any size.
    void take_batch();
    void on_written(boost::system::error_code ec);
    void on_peer_gone(const std::string& reason);
    /// Adds `f` to queue_, counting its bytes; past max_buffered the peer is cut off.
    void enqueue(engine::frame f);
    /// Reads again once the queue is short (read_pause_bytes).
    void resume_reading();

    strand_type strand_;
    boost::asio::ip::tcp::socket socket_;
    std::shared_ptr<engine::endpoint> endpoint_;
    std::shared_ptr<engine::session> session_;
    std::shared_ptr<http_server_state> server_;
    ws::frame_reader reader_;
    /// A frame written first, and what it waited behind.
    struct first_frame {
        engine::frame f;
        sent_fn sent;
        std::chrono::steady_clock::duration behind{};
    };
    std::vector<first_frame> first_; // frames that go ahead of queue_
    // Frames waiting for a gathered write. A vector, not a deque: libstdc++ allocates a
    // deque's first block (over 500 bytes) at construction, for every idle connection.
    std::vector<engine::frame> queue_;
    std::vector<engine::frame> sending_;
    std::vector<first_frame> sent_; // the callbacks of first frames in sending_
    time_point write_started_{};    // of the write under way
    time_point progress_{};         // when it last moved bytes
    std::string headers_;           // the frame headers of `sending_`
    std::string preamble_;          // the 101 response, until it is written
    bool processing_ = false;       // inside on_readable: writes wait for its end
    bool writing_ = false;
    bool closing_ = false; // a close frame is queued; nothing more goes out
    bool closed_ = false;  // the peer is gone
    std::size_t queued_bytes_ = 0; // of queue_
    bool paused_ = false;          // not reading: too much waits to go out
    // Ends a closing connection whose peer does not hang up; made only once closing, so that
    // an open connection does not pay for it.
    std::unique_ptr<boost::asio::steady_timer> linger_;
};

} // namespace gleitzeit::sio
