#pragma once
// One WebSocket carrying an Engine.IO session, directly or as the target of an upgrade.
// It runs on its session's strand. Internal to host/sio.

#include "sio/engine_session.hpp"
#include "sio/server_state.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <memory>

namespace gleitzeit::sio {

class websocket_connection : public engine::websocket_link,
                             public std::enable_shared_from_this<websocket_connection> {
public:
    using strand_type = engine::session::strand_type;

    /// `existing` is the session being upgraded, or null for a WebSocket-only session.
    websocket_connection(boost::asio::ip::tcp::socket socket, strand_type strand,
                         std::shared_ptr<engine::endpoint> ep,
                         std::shared_ptr<engine::session> existing,
                         std::shared_ptr<server_state> server);
    ~websocket_connection() override;

    void accept(boost::beast::http::request<boost::beast::http::string_body> req,
                boost::beast::flat_buffer leftover);

    void write(std::vector<engine::frame> frames) override;
    void close() override;

private:
    void read();
    void on_read(boost::system::error_code ec);
    void write_next();
    void close_now();

    strand_type strand_;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    boost::beast::flat_buffer buffer_;
    std::shared_ptr<engine::endpoint> endpoint_;
    std::shared_ptr<engine::session> session_;
    std::shared_ptr<server_state> server_;
    std::deque<engine::frame> queue_;
    bool writing_ = false;
    bool closing_ = false;
    bool closed_ = false;
    boost::beast::websocket::close_code close_code_ = boost::beast::websocket::close_code::normal;
};

} // namespace gleitzeit::sio
