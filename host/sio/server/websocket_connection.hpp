#pragma once
// One WebSocket carrying an Engine.IO session, directly or as the target of an upgrade.
// It runs on its session's strand. The HTTP connection checks the opening handshake; after
// that the connection frames by itself (protocol/ws_frame.hpp): it reads whatever has arrived into
// a buffer shared by the thread's connections, so an idle connection holds no read buffer, and it
// sends all queued frames with one gathered write. Internal to host/sio/server.

#include "sio/protocol/ws_frame.hpp"
#include "sio/server/engine_session.hpp"
#include "sio/server/http_server_state.hpp"

#include <boost/asio/ip/tcp.hpp>

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
    void close() override;

private:
    void wait_readable();
    void on_readable();
    bool on_message(ws::opcode op, std::string_view payload) override;
    bool on_control(ws::opcode op, std::string_view payload) override;
    void send_control(ws::opcode op, std::string payload);
    void fail(std::uint16_t code, const std::string& reason);
    void flush();
    void on_peer_gone(const std::string& reason);

    strand_type strand_;
    boost::asio::ip::tcp::socket socket_;
    std::shared_ptr<engine::endpoint> endpoint_;
    std::shared_ptr<engine::session> session_;
    std::shared_ptr<http_server_state> server_;
    ws::frame_reader reader_;
    std::vector<engine::frame> queue_; // frames waiting for the next gathered write
    std::vector<engine::frame> sending_;
    std::string headers_;     // the frame headers of `sending_`
    std::string preamble_;    // the 101 response, until it is written
    bool processing_ = false; // inside on_readable: writes wait for its end
    bool writing_ = false;
    bool closing_ = false; // a close frame is queued; nothing more goes out
    bool closed_ = false;  // the peer is gone
};

} // namespace gleitzeit::sio
