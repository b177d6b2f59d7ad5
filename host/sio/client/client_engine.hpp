#pragma once
// The Engine.IO v4 side of the client: one connection over long-polling, WebSocket, or
// polling upgraded to WebSocket, with the heartbeat. One instance per connection
// attempt; after it closes, a reconnection makes a new one. Runs on the client's strand.
// Internal to host/sio/client.

#include "sio/client/client.hpp"
#include "sio/protocol/engine_packet.hpp"
#include "sio/protocol/ws_frame.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gleitzeit::sio {

struct client_target {
    std::string host;
    std::string port;
    std::string path; // "/socket.io/"
};

class client_engine : public std::enable_shared_from_this<client_engine>,
                      private ws::frame_reader::listener {
public:
    using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

    class listener {
    public:
        virtual ~listener() = default;
        virtual void on_engine_open(const std::string& transport) = 0;
        virtual void on_engine_upgrade() = 0;
        virtual void on_engine_message(std::string_view data, bool binary) = 0;
        virtual void on_engine_close(const std::string& reason) = 0;
    };

    client_engine(strand_type strand, client_target target, const client_options& opts,
                  listener& l);

    void open();
    /// Queues packets: full Engine.IO text ("4...") or binary frames. Call on the strand.
    void send(std::vector<engine::frame> frames);
    /// Closes from the client side; the listener hears "io client disconnect".
    void close();
    const std::string& transport() const { return transport_; }

private:
    enum class state { opening, open, closed };

    std::string target(const std::string& transport) const;
    void on_resolved(boost::asio::ip::tcp::resolver::results_type results);
    void on_open_packet(std::string_view json);
    bool handle_text(std::string_view text, bool from_probe);
    bool handle_packet(const engine::packet& p, bool from_probe);
    void arm_watchdog(std::chrono::milliseconds after);

    // long-polling
    void poll();
    void flush_post();
    void maybe_finish_upgrade();

    // WebSocket (direct, or the probe of an upgrade), framed by ws_frame.hpp after the
    // opening handshake, so that every frame queued in one turn leaves in one write.
    void open_websocket(bool probe);
    void on_websocket_open(bool probe);
    void ws_wait();
    void ws_flush();
    void ws_queue_frame(std::string bytes, bool binary, std::uint8_t control = 0);
    bool on_message(ws::opcode op, std::string_view payload) override;
    bool on_control(ws::opcode op, std::string_view payload) override;

    void finish(const std::string& reason);
    /// Runs `write` on `stream`, once connected (`connected` says whether it is already).
    void connect_then(boost::beast::tcp_stream& stream, bool& connected, std::function<void()> write);

    strand_type strand_;
    client_target target_;
    const client_options& options_;
    listener& listener_;
    state state_ = state::opening;
    std::string transport_;
    std::string sid_;
    std::chrono::milliseconds ping_interval_{25000};
    std::chrono::milliseconds ping_timeout_{20000};
    bool server_upgrades_ = false;

    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::ip::tcp::resolver::results_type endpoints_;
    boost::asio::steady_timer watchdog_;

    boost::beast::tcp_stream get_stream_;
    boost::beast::tcp_stream post_stream_;
    boost::beast::flat_buffer get_buffer_;
    boost::beast::flat_buffer post_buffer_;
    bool get_connected_ = false;
    bool post_connected_ = false;
    bool get_active_ = false;
    bool post_active_ = false;
    std::vector<engine::frame> outbox_;

    boost::asio::ip::tcp::socket ws_socket_;
    boost::beast::flat_buffer ws_handshake_buffer_;
    ws::frame_reader ws_reader_;
    std::vector<engine::frame> ws_queue_;
    std::string ws_out_;
    std::uint32_t mask_state_;
    bool ws_open_ = false;
    bool ws_writing_ = false;
    bool ws_processing_ = false;
    bool upgrading_ = false; // probe answered; waiting for polling to go quiet
    bool probe_open_ = false;
    bool ws_closing_ = false;   // a client close is under way on the WebSocket
    bool post_closing_ = false; // a client close: the close packet still goes out by POST
};

} // namespace gleitzeit::sio
