// The client's WebSocket transport: the opening handshake by hand, then frames of our
// own (protocol/ws_frame.hpp), read into a per-thread buffer and written in one write per turn.
#include "sio/client/client_engine.hpp"
#include "sio/protocol/websocket_handshake.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>

namespace gleitzeit::sio {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

void client_engine::open_websocket(bool probe) {
    probe_open_ = probe;
    auto self = shared_from_this();
    asio::async_connect(
        ws_socket_, endpoints_,
        [self, probe](beast::error_code ec, const asio::ip::tcp::endpoint&) {
            if (self->state_ == state::closed)
                return;
            if (ec)
                return self->finish(probe ? "probe error" : "transport error");
            self->ws_socket_.set_option(asio::ip::tcp::no_delay(true), ec);
            // The opening handshake by hand, so that frames arriving right behind the 101
            // stay in our buffer instead of a discarded stream's.
            auto key = ws::make_key();
            auto req = std::make_shared<http::request<http::empty_body>>(
                http::verb::get, self->target("websocket"), 11);
            req->set(http::field::host, self->target_.host + ":" + self->target_.port);
            req->set(http::field::upgrade, "websocket");
            req->set(http::field::connection, "Upgrade");
            req->set(http::field::sec_websocket_key, key);
            req->set(http::field::sec_websocket_version, "13");
            auto accept = std::make_shared<std::string>(ws::accept_for(key));
            http::async_write(
                self->ws_socket_, *req,
                [self, req, accept, probe](beast::error_code ec, std::size_t) {
                    if (self->state_ == state::closed)
                        return;
                    if (ec)
                        return self->finish(probe ? "probe error" : "transport error");
                    auto parser = std::make_shared<http::response_parser<http::empty_body>>();
                    parser->skip(true); // a 101 has no body
                    http::async_read_header(
                        self->ws_socket_, self->ws_handshake_buffer_, *parser,
                        [self, parser, accept, probe](beast::error_code ec, std::size_t) {
                            if (self->state_ == state::closed)
                                return;
                            const auto& res = parser->get();
                            if (ec || res.result() != http::status::switching_protocols ||
                                res[http::field::sec_websocket_accept] != *accept)
                                return self->finish(probe ? "probe error" : "transport error");
                            self->on_websocket_open(probe);
                        });
                });
        });
}

void client_engine::on_websocket_open(bool probe) {
    beast::error_code ec;
    ws_socket_.non_blocking(true, ec);
    ws_open_ = true;
    if (probe)
        ws_queue_frame("2probe", false);
    else
        transport_ = "websocket";
    // Bytes that came in with the 101 are the first frames.
    if (ws_handshake_buffer_.size()) {
        std::string early(static_cast<const char*>(ws_handshake_buffer_.cdata().data()),
                          ws_handshake_buffer_.size());
        ws_handshake_buffer_.clear();
        ws_processing_ = true;
        auto st = ws_reader_.feed(early.data(), early.size(), *this);
        ws_processing_ = false;
        if (st != ws::frame_reader::status::ok)
            return finish("parse error");
    }
    ws_handshake_buffer_ = beast::flat_buffer();
    ws_flush();
    if (state_ != state::closed)
        ws_wait();
}

void client_engine::ws_wait() {
    ws_socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](
                                                                beast::error_code ec) {
        if (self->state_ == state::closed)
            return;
        if (ec)
            return self->finish("transport error");
        thread_local std::array<char, 64 * 1024> read_space;
        self->ws_processing_ = true;
        for (;;) {
            std::size_t n = self->ws_socket_.read_some(asio::buffer(read_space), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again)
                break;
            if (ec) {
                self->ws_processing_ = false;
                return self->finish(ec == asio::error::eof ? "transport close" : "transport error");
            }
            if (self->ws_reader_.feed(read_space.data(), n, *self) !=
                ws::frame_reader::status::ok) {
                self->ws_processing_ = false;
                return self->finish("parse error");
            }
            if (self->state_ == state::closed || n < read_space.size())
                break;
        }
        self->ws_processing_ = false;
        if (self->state_ == state::closed)
            return;
        self->ws_flush();
        self->ws_wait();
    });
}

bool client_engine::on_message(ws::opcode op, std::string_view payload) {
    bool probing = transport_ != "websocket";
    if (op == ws::opcode::binary) {
        if (probing) {
            finish("probe error");
            return false;
        }
        listener_.on_engine_message(payload, true);
    } else if (!handle_text(payload, probing)) {
        return false;
    }
    return state_ != state::closed;
}

bool client_engine::on_control(ws::opcode op, std::string_view payload) {
    if (op == ws::opcode::ping) {
        ws_queue_frame(std::string(payload), true, static_cast<std::uint8_t>(ws::opcode::pong));
        return true;
    }
    if (op == ws::opcode::close) {
        finish("transport close");
        return false;
    }
    return true;
}

void client_engine::ws_queue_frame(std::string bytes, bool binary, std::uint8_t control) {
    engine::frame f;
    f.owned = std::move(bytes);
    f.binary = binary;
    f.control = control;
    ws_queue_.push_back(std::move(f));
    if (!ws_processing_)
        ws_flush();
}

void client_engine::ws_flush() {
    if (ws_writing_ || ws_queue_.empty() || !ws_open_)
        return;
    ws_out_.clear();
    bool closing = false;
    for (const auto& f : ws_queue_) {
        // xorshift: masking keys need only be unpredictable to scripts on the path, and
        // a system random source per frame would cost more than the frame.
        mask_state_ ^= mask_state_ << 13;
        mask_state_ ^= mask_state_ >> 17;
        mask_state_ ^= mask_state_ << 5;
        auto op = f.control  ? static_cast<ws::opcode>(f.control)
                  : f.binary ? ws::opcode::binary
                             : ws::opcode::text;
        closing = closing || op == ws::opcode::close;
        ws::append_masked_frame(ws_out_, op, f.bytes(), mask_state_);
    }
    ws_queue_.clear();
    ws_writing_ = true;
    asio::async_write(
        ws_socket_, asio::buffer(ws_out_),
        [self = shared_from_this(), closing](beast::error_code ec, std::size_t) {
            self->ws_writing_ = false;
            if (closing) {
                beast::error_code ignored;
                self->ws_socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                self->ws_socket_.close(ignored);
                return;
            }
            if (self->state_ == state::closed && !self->ws_closing_)
                return;
            if (ec)
                return self->finish("transport error");
            self->ws_flush(); // after a client close: the close packet and frame still go out
        });
}

} // namespace gleitzeit::sio
