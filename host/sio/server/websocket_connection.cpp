#include "sio/server/websocket_connection.hpp"

#include "sio/server/engine_endpoint.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>

namespace gleitzeit::sio {
namespace asio = boost::asio;

namespace {
constexpr std::size_t read_space_size = 64 * 1024;
constexpr std::size_t write_piece = 64 * 1024; // at most this much per write system call
constexpr std::uint16_t close_normal = 1000;
constexpr std::uint16_t close_protocol_error = 1002;
constexpr std::uint16_t close_too_big = 1009;
// How long a connection the hub has closed waits for its peer to hang up (begin_closing).
constexpr auto close_grace = std::chrono::seconds(2);

std::string close_payload(std::uint16_t code) {
    return {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}
} // namespace

websocket_connection::websocket_connection(asio::ip::tcp::socket socket, strand_type strand,
                                           std::shared_ptr<engine::endpoint> ep,
                                           std::shared_ptr<engine::session> existing,
                                           std::shared_ptr<http_server_state> server)
    : strand_(std::move(strand)), socket_(std::move(socket)), endpoint_(std::move(ep)),
      session_(std::move(existing)), server_(std::move(server)),
      reader_(true, endpoint_->settings().max_payload) {
    server_->stats.tcp_connections.fetch_add(1, std::memory_order_relaxed);
}

websocket_connection::~websocket_connection() {
    server_->stats.tcp_connections.fetch_sub(1, std::memory_order_relaxed);
}

void websocket_connection::accept(std::string handshake) {
    preamble_ = std::move(handshake);
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    if (session_) {
        session_->on_websocket(shared_from_this());
    } else {
        session_ = endpoint_->create_on(strand_);
        session_->start_websocket(shared_from_this());
    }
    flush();
    wait_readable();
}

void websocket_connection::wait_readable() {
    socket_.async_wait(asio::ip::tcp::socket::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                           if (ec)
                               return self->on_peer_gone("transport error");
                           self->on_readable();
                       });
}

void websocket_connection::on_readable() {
    thread_local std::array<char, read_space_size> read_space;
    processing_ = true;
    for (;;) {
        boost::system::error_code ec;
        std::size_t n = socket_.read_some(asio::buffer(read_space), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again)
            break;
        if (ec) {
            processing_ = false;
            return on_peer_gone(ec == asio::error::eof ? "transport close" : "transport error");
        }
        if (!closed_ && !closing_) { // else draining after our close frame: discarded
            auto st = reader_.feed(read_space.data(), n, *this);
            if (st == ws::frame_reader::status::protocol_error)
                fail(close_protocol_error, "transport error");
            else if (st == ws::frame_reader::status::too_big)
                fail(close_too_big, "payload too large");
            if (closing_)
                reader_.clear(); // a frame half read when the session closed is not wanted
        }
        if (n < read_space.size())
            break; // the socket is drained; waiting costs less than a read that would block
        // The answers to what this read brought wait to go out: stop here, and read again
        // once no more than read_pause_bytes waits behind the write under way (below, and
        // on_written), so that a connection holds about one read's worth of requests and
        // their answers, however much its client has sent (docs/operations.md,
        // max_buffered). The rest waits in the kernel's buffers.
        if (queued_bytes_ > engine::read_pause_bytes)
            break;
    }
    processing_ = false;
    flush();
    if (closed_)
        return;
    if (queued_bytes_ > engine::read_pause_bytes)
        paused_ = true; // on_written reads again once the peer has taken enough in
    else
        wait_readable();
}

void websocket_connection::resume_reading() {
    if (!paused_ || closed_ || queued_bytes_ > engine::read_pause_bytes)
        return;
    paused_ = false;
    wait_readable();
}

void websocket_connection::enqueue(engine::frame f) {
    if (closed_)
        return;
    queued_bytes_ += f.bytes().size();
    queue_.push_back(std::move(f));
    if (queued_bytes_ <= endpoint_->settings().max_buffered)
        return;
    // The peer does not take in what it is sent: cut it off rather than hold it all.
    on_peer_gone("slow consumer");
}

bool websocket_connection::on_message(ws::opcode op, std::string_view payload) {
    if (session_ && !closing_)
        session_->on_ws_message(this, payload, op == ws::opcode::binary);
    return !closed_ && !closing_;
}

bool websocket_connection::on_control(ws::opcode op, std::string_view payload) {
    if (op == ws::opcode::ping) {
        send_control(ws::opcode::pong, std::string(payload));
        return true;
    }
    if (op != ws::opcode::close)
        return true;
    // Answer with the peer's code, then go: the close handshake is complete. The close
    // frame goes before the session hears of it, so its own close() cannot replace it.
    auto reply =
        payload.size() >= 2 ? std::string(payload.substr(0, 2)) : close_payload(close_normal);
    if (!closing_) {
        send_control(ws::opcode::close, std::move(reply));
        begin_closing();
    }
    if (auto s = std::exchange(session_, nullptr))
        s->on_ws_closed(this, "transport close");
    return false;
}

void websocket_connection::send_control(ws::opcode op, std::string payload) {
    engine::frame f;
    f.owned = std::move(payload);
    f.binary = true;
    f.control = static_cast<std::uint8_t>(op);
    enqueue(std::move(f));
    if (!processing_)
        flush();
}

void websocket_connection::fail(std::uint16_t code, const std::string& reason) {
    // The close frame goes first: the session's own close() must not replace its code.
    if (!closing_) {
        queue_.clear();
        queued_bytes_ = 0;
        first_.clear();
        send_control(ws::opcode::close, close_payload(code));
        begin_closing();
    }
    if (auto s = std::exchange(session_, nullptr))
        s->on_ws_closed(this, reason);
}

void websocket_connection::begin_closing() {
    closing_ = true;
    // Once its close frame is queued, the hub parses no more frames. RFC 6455 asks no more of
    // an endpoint that has sent a Close than to send no data after it (§5.5.1); the peer's
    // Close needs no answer then, and the session that would take the peer's messages is
    // over. A peer that goes on sending (a frame after a refused packet, kind 3 of
    // tests/hostile/scale.test.mjs) would otherwise have each frame buffered whole, up to
    // max_payload. Until the peer hangs up, the connection reads and discards: closing with
    // unread bytes would reset the connection, and the peer could lose the close frame (as
    // http_connection::drain). The hub sends its FIN once the close frame is out
    // (on_written), and a peer that never hangs up is cut after a grace: the server closes
    // the TCP connection first (§7.1.1).
    if (!processing_)
        reader_.clear(); // inside on_readable the reader is still at work; it clears it
    linger_ = std::make_unique<asio::steady_timer>(strand_, close_grace);
    linger_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec)
            self->on_peer_gone("closed");
    });
}

void websocket_connection::write(std::vector<engine::frame> frames) {
    if (closing_ || closed_)
        return;
    for (auto& f : frames)
        enqueue(std::move(f));
    if (!processing_)
        flush();
}

void websocket_connection::write_first(engine::frame f, sent_fn sent) {
    if (closing_ || closed_)
        return;
    first_.push_back({std::move(f), std::move(sent), {}});
    if (!processing_)
        flush();
}

engine::websocket_link::time_point websocket_connection::last_progress() const {
    return writing_ ? progress_ : std::chrono::steady_clock::now();
}

void websocket_connection::close() {
    if (closing_ || closed_)
        return;
    // A write that has not moved for a second will not carry a close frame either (a peer
    // that stopped reading, a ping timeout): the socket goes now, and its memory with it.
    if (writing_ && std::chrono::steady_clock::now() - progress_ > std::chrono::seconds(1)) {
        session_.reset();
        return on_peer_gone("closed");
    }
    send_control(ws::opcode::close, close_payload(close_normal));
    begin_closing();
}

void websocket_connection::take_batch() {
    std::size_t size = 0;
    for (auto& ff : first_) {
        size += ff.f.bytes().size();
        sending_.push_back(std::move(ff.f));
    }
    sent_.swap(first_);
    first_.clear();
    // A large frame goes alone, so that what is written first waits for one frame at most.
    std::size_t taken = 0;
    while (taken < queue_.size() &&
           (sending_.empty() || size + queue_[taken].bytes().size() <= engine::batch_bytes)) {
        size += queue_[taken].bytes().size();
        queued_bytes_ -= queue_[taken].bytes().size();
        sending_.push_back(std::move(queue_[taken++]));
    }
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
}

void websocket_connection::flush() {
    if (writing_ || (queue_.empty() && first_.empty() && preamble_.empty()) || closed_)
        return;
    writing_ = true;
    write_started_ = progress_ = std::chrono::steady_clock::now();
    take_batch();
    headers_.resize(sending_.size() * 10);
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(sending_.size() * 2 + 1);
    if (!preamble_.empty())
        buffers.emplace_back(preamble_.data(), preamble_.size());
    std::size_t at = 0;
    for (const auto& f : sending_) {
        auto bytes = f.bytes();
        auto op = f.control  ? static_cast<ws::opcode>(f.control)
                  : f.binary ? ws::opcode::binary
                             : ws::opcode::text;
        auto* h = reinterpret_cast<std::uint8_t*>(headers_.data() + at);
        auto n = ws::write_header(h, op, bytes.size());
        buffers.emplace_back(h, n);
        buffers.emplace_back(bytes.data(), bytes.size());
        at += n;
    }
    // The completion condition runs after every piece the socket took (on the strand, the
    // socket's executor): the session's heartbeat asks when bytes last moved.
    auto progress = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        self->progress_ = std::chrono::steady_clock::now();
        return ec ? std::size_t{0} : write_piece;
    };
    asio::async_write(socket_, buffers, progress,
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                          self->on_written(ec);
                      });
}

void websocket_connection::on_written(boost::system::error_code ec) {
    writing_ = false;
    std::string().swap(preamble_);
    bool sent_close = false;
    for (const auto& f : sending_)
        sent_close = sent_close || f.control == static_cast<std::uint8_t>(ws::opcode::close);
    sending_.clear();
    auto sent = std::exchange(sent_, {});
    if (ec)
        return on_peer_gone("transport error");
    // What waits to be written first waited behind this write.
    const auto took = std::chrono::steady_clock::now() - write_started_;
    for (auto& ff : first_)
        ff.behind = std::max(ff.behind, took);
    for (auto& ff : sent)
        if (ff.sent)
            ff.sent(ff.behind);
    if (sent_close) {
        // Our close frame is out; the peer closes the TCP connection, and the read loop sees
        // it. Nothing more is sent.
        boost::system::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        queue_.clear();
        queued_bytes_ = 0;
        first_.clear();
        resume_reading(); // a connection paused behind its answers reads again, to see EOF
        return;
    }
    flush();
    resume_reading();
}

void websocket_connection::on_peer_gone(const std::string& reason) {
    if (closed_)
        return;
    closed_ = true;
    if (auto s = std::exchange(session_, nullptr))
        s->on_ws_closed(this, reason);
    // What waited for the peer goes now; the write under way ends with an error.
    std::vector<engine::frame>().swap(queue_);
    queued_bytes_ = 0;
    first_.clear();
    if (linger_)
        linger_->cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
}

} // namespace gleitzeit::sio
