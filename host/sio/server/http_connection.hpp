#pragma once
// One TCP connection speaking HTTP/1.1: Engine.IO long-polling requests, plain HTTP
// requests, and the hand-off to a WebSocket on an upgrade request. Internal to host/sio/server.

#include "sio/server/engine_session.hpp"
#include "sio/server/http_server_state.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>

namespace gleitzeit::sio {

class http_connection : public std::enable_shared_from_this<http_connection> {
public:
    using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;
    using request = boost::beast::http::request<boost::beast::http::string_body>;
    using response = boost::beast::http::response<boost::beast::http::string_body>;

    http_connection(boost::asio::ip::tcp::socket socket, strand_type strand,
                    std::shared_ptr<http_server_state> server);
    ~http_connection();

    void run();
    /// Sends the answer to the request being served; safe from any strand.
    void deliver(response res);

private:
    class reply;

    void read_header();
    void on_header(boost::system::error_code ec);
    void on_body(boost::system::error_code ec);
    /// Answers 403 and returns true when the guard refuses the request (request_guard.hpp).
    bool refused(const request& req);
    void serve(request req);
    void serve_engine(request& req, const std::shared_ptr<engine::endpoint>& ep);
    void upgrade(request req);
    void on_read_failed();
    void write(response res);
    void on_written(boost::system::error_code ec, bool keep_alive);
    void drain();
    response make_response(const request& req, unsigned status, std::string content_type,
                           std::string body) const;
    std::shared_ptr<reply> make_reply(const request& req);

    strand_type strand_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::shared_ptr<http_server_state> server_;
    bool reading_ = false;
    bool awaiting_answer_ = false;
    bool writing_ = false;
    bool closed_ = false;
    std::optional<request> stashed_;
    // The session and held GET of a long poll, so a client that hangs up can be noticed.
    std::shared_ptr<engine::session> poll_session_;
    std::shared_ptr<engine::poll_request> poll_;
};

} // namespace gleitzeit::sio
