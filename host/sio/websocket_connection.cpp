#include "sio/websocket_connection.hpp"

#include "sio/engine_endpoint.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/error.hpp>

namespace gleitzeit::sio {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {
constexpr std::size_t read_chunk = 64 * 1024;
}

websocket_connection::websocket_connection(asio::ip::tcp::socket socket, strand_type strand,
                                           std::shared_ptr<engine::endpoint> ep,
                                           std::shared_ptr<engine::session> existing,
                                           std::shared_ptr<server_state> server)
    : strand_(std::move(strand)), ws_(std::move(socket)), endpoint_(std::move(ep)),
      session_(std::move(existing)), server_(std::move(server)) {
    server_->stats.tcp_connections.fetch_add(1, std::memory_order_relaxed);
}

websocket_connection::~websocket_connection() {
    server_->stats.tcp_connections.fetch_sub(1, std::memory_order_relaxed);
}

void websocket_connection::accept(beast::http::request<beast::http::string_body> req,
                                  beast::flat_buffer) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(0); // enforced in on_read, see read()
    ws_.auto_fragment(false);
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
        if (ec) {
            self->closed_ = true;
            self->session_.reset();
            return;
        }
        if (self->session_) {
            self->session_->on_websocket(self);
        } else {
            self->session_ = self->endpoint_->create_on(self->strand_);
            self->session_->start_websocket(self);
        }
        self->read();
    });
}

void websocket_connection::read() {
    // Read in pieces and enforce maxPayload here rather than with Beast's
    // read_message_max: Beast's own teardown after a too-big message closes with unread
    // bytes, which resets the connection before the peer sees the 1009 close frame.
    ws_.async_read_some(
        buffer_, read_chunk,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void websocket_connection::on_read(beast::error_code ec) {
    if (ec) {
        closed_ = true;
        std::string reason = "transport close";
        if (ec != websocket::error::closed && ec != asio::error::eof &&
            ec != asio::error::connection_reset && ec != asio::error::operation_aborted)
            reason = "transport error";
        if (auto s = std::exchange(session_, nullptr))
            s->on_ws_closed(this, reason);
        return;
    }
    if (buffer_.size() > endpoint_->settings().max_payload) {
        closed_ = true;
        if (auto s = std::exchange(session_, nullptr))
            s->on_ws_closed(this, "payload too large");
        close_code_ = websocket::close_code::too_big;
        closing_ = true;
        if (!writing_)
            close_now();
        return;
    }
    if (!ws_.is_message_done()) {
        read();
        return;
    }
    auto data = buffer_.cdata();
    std::string_view view(static_cast<const char*>(data.data()), data.size());
    if (session_)
        session_->on_ws_message(this, view, ws_.got_binary());
    buffer_.consume(buffer_.size());
    if (!closed_)
        read();
}

void websocket_connection::write(std::vector<engine::frame> frames) {
    if (closing_ || closed_)
        return;
    for (auto& f : frames)
        queue_.push_back(std::move(f));
    if (!writing_)
        write_next();
}

void websocket_connection::write_next() {
    if (queue_.empty()) {
        writing_ = false;
        if (closing_)
            close_now();
        return;
    }
    writing_ = true;
    auto& f = queue_.front();
    ws_.binary(f.binary);
    ws_.async_write(asio::buffer(f.bytes()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->queue_.pop_front();
                        if (ec) {
                            self->queue_.clear();
                            self->writing_ = false;
                            return;
                        }
                        self->write_next();
                    });
}

void websocket_connection::close() {
    if (closing_ || closed_)
        return;
    closing_ = true;
    if (!writing_)
        close_now();
}

void websocket_connection::close_now() {
    if (!ws_.is_open())
        return;
    ws_.async_close(close_code_, [self = shared_from_this()](beast::error_code) {});
}

} // namespace gleitzeit::sio
