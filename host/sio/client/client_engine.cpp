#include "sio/client/client_engine.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <random>

namespace gleitzeit::sio {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
// What one message from a server may hold; a server's maxPayload bounds what it accepts,
// not what it sends.
constexpr std::uint64_t max_incoming_message = 64ull << 20;

engine::frame text(std::string s) {
    engine::frame f;
    f.owned = std::move(s);
    return f;
}
} // namespace

client_engine::client_engine(strand_type strand, client_target target, const client_options& opts,
                             listener& l)
    : strand_(std::move(strand)), target_(std::move(target)), options_(opts), listener_(l),
      resolver_(strand_), watchdog_(strand_), get_stream_(strand_), post_stream_(strand_),
      ws_socket_(strand_), ws_reader_(false, max_incoming_message),
      mask_state_(static_cast<std::uint32_t>(std::random_device{}()) | 1u) {}

std::string client_engine::target(const std::string& transport) const {
    std::string t = target_.path + "?EIO=4&transport=" + transport;
    if (!sid_.empty())
        t += "&sid=" + sid_;
    return t;
}

void client_engine::open() {
    arm_watchdog(options_.timeout); // bounds the whole opening
    resolver_.async_resolve(
        target_.host, target_.port,
        [self = shared_from_this()](beast::error_code ec, asio::ip::tcp::resolver::results_type r) {
            if (self->state_ == state::closed)
                return;
            if (ec)
                return self->finish("transport error");
            self->on_resolved(std::move(r));
        });
}

void client_engine::on_resolved(asio::ip::tcp::resolver::results_type results) {
    endpoints_ = std::move(results);
    const auto& first =
        options_.transports.empty() ? std::string("polling") : options_.transports.front();
    if (first == "websocket") {
        open_websocket(false);
        return;
    }
    transport_ = "polling";
    poll(); // the first GET, without a sid, is the handshake
}

void client_engine::arm_watchdog(std::chrono::milliseconds after) {
    watchdog_.expires_after(after);
    watchdog_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec || self->state_ == state::closed)
            return;
        self->finish(self->state_ == state::opening ? "timeout" : "ping timeout");
    });
}

void client_engine::on_open_packet(std::string_view json) {
    beast::error_code ec;
    auto v = boost::json::parse(json, ec);
    const auto* o = v.if_object();
    const auto* sid = o ? o->if_contains("sid") : nullptr;
    if (ec || !sid || !sid->is_string())
        return finish("parse error");
    sid_ = std::string(sid->get_string());
    if (const auto* pi = o->if_contains("pingInterval"); pi && pi->is_number())
        ping_interval_ = std::chrono::milliseconds(pi->to_number<std::int64_t>());
    if (const auto* pt = o->if_contains("pingTimeout"); pt && pt->is_number())
        ping_timeout_ = std::chrono::milliseconds(pt->to_number<std::int64_t>());
    if (const auto* up = o->if_contains("upgrades"); up && up->is_array())
        for (const auto& u : up->get_array())
            server_upgrades_ = server_upgrades_ || (u.is_string() && u.get_string() == "websocket");
    state_ = state::open;
    arm_watchdog(ping_interval_ + ping_timeout_);
    listener_.on_engine_open(transport_);
}

bool client_engine::handle_text(std::string_view text_packet, bool from_probe) {
    auto p = engine::decode_text(text_packet);
    if (!p) {
        finish("parse error");
        return false;
    }
    return handle_packet(*p, from_probe);
}

bool client_engine::handle_packet(const engine::packet& packet, bool from_probe) {
    const auto* p = &packet;
    if (from_probe) {
        if (p->type == engine::packet_type::pong && p->data() == "probe") {
            upgrading_ = true;
            maybe_finish_upgrade();
            return true;
        }
        finish("probe error");
        return false;
    }
    switch (p->type) {
    case engine::packet_type::open:
        if (state_ != state::opening) {
            finish("parse error");
            return false;
        }
        on_open_packet(p->data());
        return state_ != state::closed;
    case engine::packet_type::ping: {
        arm_watchdog(ping_interval_ + ping_timeout_);
        std::vector<engine::frame> pong;
        pong.push_back(text("3"));
        send(std::move(pong));
        return true;
    }
    case engine::packet_type::message:
        listener_.on_engine_message(p->data(), false);
        return state_ != state::closed;
    case engine::packet_type::close:
        finish("transport close");
        return false;
    case engine::packet_type::noop:
    case engine::packet_type::pong:
        return true;
    case engine::packet_type::upgrade:
        break;
    }
    finish("parse error");
    return false;
}

void client_engine::send(std::vector<engine::frame> frames) {
    if (state_ == state::closed)
        return;
    if (transport_ == "websocket") {
        for (auto& f : frames)
            ws_queue_.push_back(std::move(f));
        if (!ws_processing_)
            ws_flush();
        return;
    }
    for (auto& f : frames)
        outbox_.push_back(std::move(f));
    flush_post();
}

// --- long-polling ---

void client_engine::poll() {
    if (state_ == state::closed || get_active_ || upgrading_)
        return;
    get_active_ = true;
    auto req =
        std::make_shared<http::request<http::empty_body>>(http::verb::get, target("polling"), 11);
    req->set(http::field::host, target_.host);
    auto res = std::make_shared<http::response<http::string_body>>();
    auto self = shared_from_this();
    auto on_read = [self, res](beast::error_code ec, std::size_t) {
        self->get_active_ = false;
        if (self->state_ == state::closed) {
            if (self->post_closing_)
                self->watchdog_.cancel(); // the server has let go: close the streams now
            return;
        }
        if (ec || res->result() != http::status::ok)
            return self->finish("transport error");
        auto packets = engine::decode_payload(res->body());
        if (!packets)
            return self->finish("parse error");
        for (const auto& p : *packets) {
            if (p.binary)
                self->listener_.on_engine_message(p.data(), true);
            else if (!self->handle_packet(p, false))
                return;
            if (self->state_ == state::closed)
                return;
        }
        if (self->upgrading_)
            return self->maybe_finish_upgrade();
        self->poll();
        if (self->state_ == state::open && self->options_.upgrade && self->server_upgrades_ &&
            !self->probe_open_ &&
            std::find(self->options_.transports.begin(), self->options_.transports.end(),
                      "websocket") != self->options_.transports.end())
            self->open_websocket(true);
    };
    auto on_written = [self, req, res, on_read](beast::error_code ec, std::size_t) {
        if (self->state_ == state::closed)
            return;
        if (ec)
            return self->finish("transport error");
        http::async_read(self->get_stream_, self->get_buffer_, *res, on_read);
    };
    auto write = [self, req, on_written] {
        http::async_write(self->get_stream_, *req, on_written);
    };
    connect_then(get_stream_, get_connected_, std::move(write));
}

void client_engine::connect_then(beast::tcp_stream& stream, bool& connected,
                                 std::function<void()> write) {
    if (connected)
        return write();
    stream.async_connect(endpoints_, [self = shared_from_this(), &connected,
                                      write = std::move(write)](beast::error_code ec,
                                                                const asio::ip::tcp::endpoint&) {
        if (self->state_ == state::closed)
            return;
        if (ec)
            return self->finish("transport error");
        connected = true; // a member of self, which the capture keeps alive
        write();
    });
}

void client_engine::flush_post() {
    if (post_active_ || upgrading_ || outbox_.empty() ||
        (state_ != state::open && !post_closing_) || transport_ != "polling")
        return;
    post_active_ = true;
    std::string payload;
    for (const auto& f : outbox_) {
        auto bytes = f.bytes();
        if (f.binary)
            engine::append_to_payload(payload, '4', bytes, true);
        else
            engine::append_to_payload(payload, bytes[0], bytes.substr(1), false);
    }
    outbox_.clear();
    auto req =
        std::make_shared<http::request<http::string_body>>(http::verb::post, target("polling"), 11);
    req->set(http::field::host, target_.host);
    req->set(http::field::content_type, "text/plain;charset=UTF-8");
    req->body() = std::move(payload);
    req->prepare_payload();
    auto res = std::make_shared<http::response<http::string_body>>();
    auto self = shared_from_this();
    auto on_read = [self, res](beast::error_code ec, std::size_t) {
        self->post_active_ = false;
        if (self->state_ == state::closed) {
            if (self->post_closing_ && !ec)
                self->flush_post(); // the close packet queued behind this POST
            return;
        }
        if (ec || res->result() != http::status::ok)
            return self->finish("transport error");
        if (self->upgrading_)
            return self->maybe_finish_upgrade();
        self->flush_post();
    };
    auto on_written = [self, req, res, on_read](beast::error_code ec, std::size_t) {
        if (self->state_ == state::closed && !self->post_closing_)
            return;
        if (ec)
            return self->finish("transport error");
        http::async_read(self->post_stream_, self->post_buffer_, *res, on_read);
    };
    auto write = [self, req, on_written] {
        http::async_write(self->post_stream_, *req, on_written);
    };
    connect_then(post_stream_, post_connected_, std::move(write));
}

void client_engine::maybe_finish_upgrade() {
    // The switch waits until polling is quiet, so no packet can overtake another.
    if (!upgrading_ || get_active_ || post_active_ || state_ == state::closed)
        return;
    upgrading_ = false;
    transport_ = "websocket";
    std::vector<engine::frame> frames;
    frames.push_back(text("5"));
    for (auto& f : outbox_)
        frames.push_back(std::move(f));
    outbox_.clear();
    send(std::move(frames));
    beast::error_code ignored;
    get_stream_.socket().close(ignored);
    post_stream_.socket().close(ignored);
    listener_.on_engine_upgrade();
}

void client_engine::close() {
    if (state_ == state::closed)
        return;
    // Tell the server, best effort, then go: a clean close must not wait on a slow peer.
    if (transport_ == "websocket" && ws_open_) {
        ws_closing_ = true;
        ws_queue_frame("1", false);
        ws_queue_frame(std::string("\x03\xe8", 2), true,
                       static_cast<std::uint8_t>(ws::opcode::close));
        ws_flush();
    } else if (transport_ == "polling" && state_ == state::open) {
        post_closing_ = true; // sent now, or right behind the POST in flight
        outbox_.push_back(text("1"));
        flush_post();
    }
    finish("io client disconnect");
}

void client_engine::finish(const std::string& reason) {
    if (state_ == state::closed)
        return;
    state_ = state::closed;
    watchdog_.cancel();
    resolver_.cancel();
    beast::error_code ignored;
    if (post_closing_) {
        // The close packet is still on its way by POST. Dropping the held GET now would
        // reach the server first and end the session as a lost connection; the server
        // answers the GET itself once it reads the close packet. Two seconds bound it.
        watchdog_.expires_after(std::chrono::seconds(2));
        watchdog_.async_wait([self = shared_from_this()](beast::error_code) {
            beast::error_code ignored;
            self->get_stream_.socket().close(ignored);
            self->post_stream_.socket().close(ignored);
        });
    } else {
        if (!post_active_)
            post_stream_.socket().close(ignored);
        get_stream_.socket().close(ignored);
    }
    if (!ws_closing_ || !ws_writing_)
        ws_socket_.close(ignored);
    listener_.on_engine_close(reason);
}

} // namespace gleitzeit::sio
