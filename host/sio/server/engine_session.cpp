#include "sio/server/engine_session.hpp"

#include "sio/server/engine_endpoint.hpp"
#include "sio/server/metrics.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace gleitzeit::sio::engine {
namespace asio = boost::asio;

namespace {
frame text_frame(std::string text) {
    frame f;
    f.owned = std::move(text);
    return f;
}
} // namespace

session::session(strand_type strand, std::string id, std::shared_ptr<endpoint> owner)
    : strand_(std::move(strand)), id_(std::move(id)), owner_(std::move(owner)),
      metrics_(owner_->stats()), ping_timer_(strand_) {}

session::~session() = default;

std::string session::open_packet(bool upgrades) const {
    const auto& o = owner_->settings();
    boost::json::object open{
        {"sid", id_},
        {"upgrades", upgrades ? boost::json::array{"websocket"} : boost::json::array{}},
        {"pingInterval", o.ping_interval.count()},
        {"pingTimeout", o.ping_timeout.count()},
        {"maxPayload", o.max_payload},
    };
    return "0" + boost::json::serialize(open);
}

std::string session::start_polling() {
    state_ = state::polling;
    arm_ping(owner_->settings().ping_interval);
    owner_->handler().on_open(shared_from_this());
    auto text = open_packet(owner_->settings().allow_upgrades);
    metrics_.count_out('0', text.size());
    return text;
}

void session::start_websocket(std::shared_ptr<websocket_link> ws) {
    state_ = state::websocket;
    ws_ = std::move(ws);
    std::vector<frame> open;
    open.push_back(text_frame(open_packet(false)));
    emit(open);
    arm_ping(owner_->settings().ping_interval);
    owner_->handler().on_open(shared_from_this());
}

void session::send(std::vector<frame> frames) {
    asio::dispatch(strand_, [self = shared_from_this(), frames = std::move(frames)]() mutable {
        if (self->state_ == state::closed)
            return;
        self->emit(frames);
    });
}

void session::emit(std::vector<frame>& frames) {
    if (wants_ping_before(frames))
        send_ping();
    for (auto& f : frames)
        metrics_.count_out(f.binary            ? '4'
                           : f.bytes().empty() ? '4'
                                               : f.bytes()[0],
                           f.bytes().size());
    if (state_ == state::websocket) {
        ws_->write(std::move(frames));
        return;
    }
    std::size_t added = 0;
    for (auto& f : frames) {
        added += f.bytes().size();
        outbox_.push_back(std::move(f));
    }
    set_outbox_bytes(outbox_bytes_ + added);
    // A polling client that does not fetch what it is sent (it POSTs and never GETs) is
    // closed rather than let its queue grow (docs/operations.md, max_buffered).
    if (outbox_bytes_ > owner_->settings().max_buffered)
        return finish("slow consumer", "1");
    if (hoarding())
        return;
    schedule_flush();
}

void session::set_outbox_bytes(std::size_t bytes) {
    owner_->count_polling_waiting(static_cast<std::ptrdiff_t>(bytes) -
                                  static_cast<std::ptrdiff_t>(outbox_bytes_));
    outbox_bytes_ = bytes;
}

bool session::hoarding() {
    // max_buffered bounds one session; this bounds them all (docs/operations.md,
    // max_buffered): 1,000 clients that POST and never GET would otherwise hold up to
    // max_buffered each. A client that fetches holds a GET, or sends the next one within
    // the fetch gap: it is never closed here. One that does not, and holds more than a
    // WebSocket may before the hub stops reading it, is closed once the polling sessions
    // together hold more than their budget. A POST's body is in memory before its packets
    // are handled, so delaying them would hold as much as their answers do.
    if (poll_ || outbox_bytes_ <= read_pause_bytes || !owner_->polling_over_budget())
        return false;
    const auto since = std::chrono::steady_clock::now() - last_fetch_;
    if (since >= fetch_gap) {
        finish("slow consumer", "1");
        return true;
    }
    if (!fetch_check_)
        fetch_check_ = std::make_unique<asio::steady_timer>(strand_);
    fetch_check_->expires_after(fetch_gap - since);
    fetch_check_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec && self->polling())
            self->hoarding();
    });
    return false;
}

void session::close(std::string reason) {
    asio::dispatch(strand_, [self = shared_from_this(), reason = std::move(reason)] {
        if (self->state_ == state::closed)
            return;
        // The peer learns of a server close from a close packet.
        std::vector<frame> bye;
        bye.push_back(text_frame("1"));
        self->emit(bye);
        self->flush(SIZE_MAX); // all of it: there is no next poll
        self->finish(reason, "1");
    });
}

void session::schedule_flush() {
    if (flush_scheduled_ || !poll_)
        return;
    // Deferred so that packets queued in the same turn leave in one poll response.
    flush_scheduled_ = true;
    asio::post(strand_, [self = shared_from_this()] {
        self->flush_scheduled_ = false;
        self->flush();
    });
}

void session::flush(std::size_t budget) {
    if (!poll_ || outbox_.empty())
        return;
    // One answer takes packets up to the budget (at least one): a ping at the front does
    // not wait for a large packet behind it, which the next poll fetches.
    std::string payload;
    std::size_t taken = 0;
    std::size_t size = 0;
    for (; taken < outbox_.size(); ++taken) {
        auto bytes = outbox_[taken].bytes();
        if (taken > 0 && size + bytes.size() > budget)
            break;
        size += bytes.size();
        if (outbox_[taken].binary)
            append_to_payload(payload, '4', bytes, true);
        else
            append_to_payload(payload, bytes[0], bytes.substr(1), false);
    }
    outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<std::ptrdiff_t>(taken));
    set_outbox_bytes(outbox_bytes_ - std::min(outbox_bytes_, size));
    answer_poll(std::move(payload));
    if (std::exchange(ping_in_outbox_, false))
        on_ping_left(ping_seq_, {});
}

void session::answer_poll(std::string payload) {
    last_fetch_ = std::chrono::steady_clock::now();
    std::exchange(poll_, nullptr)->answer(200, std::move(payload));
}

bool session::polling() const {
    return state_ != state::websocket && state_ != state::closed;
}

void session::refuse(poll_request& r, const char* reason) {
    r.answer(400, R"({"code":3,"message":"Bad request"})");
    if (reason)
        finish(reason, "1");
}

void session::on_poll(std::shared_ptr<poll_request> get) {
    if (!polling())
        return refuse(*get, nullptr);
    // Two GETs at once mean a broken or hostile client: end the session, answering the held
    // GET with a close packet, as the protocol's test suite expects.
    if (poll_)
        return refuse(*get, "concurrent poll");
    poll_ = std::move(get);
    if (state_ == state::upgrading && outbox_.empty()) {
        // The client is probing a WebSocket: release its poll so it can finish the upgrade.
        answer_poll("6");
        return;
    }
    flush();
}

void session::on_poll_aborted(const poll_request* get) {
    if (state_ != state::closed && poll_.get() == get) {
        poll_.reset();
        finish("transport close", "");
    }
}

void session::on_post(std::string body, std::shared_ptr<poll_request> reply) {
    if (!polling())
        return refuse(*reply, nullptr);
    if (post_in_progress_)
        return refuse(*reply, "concurrent post");
    auto packets = decode_payload(body);
    if (!packets)
        return refuse(*reply, "parse error");
    post_in_progress_ = true;
    for (const auto& p : *packets) {
        metrics_.count_in(p.binary ? '4' : static_cast<char>(p.type), p.data().size() + 1);
        if (!handle_packet(p, false) || state_ == state::closed)
            break;
    }
    post_in_progress_ = false;
    // A close packet is a proper request and gets "ok"; a malformed packet does not.
    if (state_ == state::closed && close_reason_ == "parse error")
        reply->answer(400, R"({"code":3,"message":"Bad request"})");
    else
        reply->answer(200, "ok");
}

void session::on_request_too_large(std::shared_ptr<poll_request> reply) {
    reply->answer(413, R"({"code":3,"message":"Payload too large"})");
    if (state_ != state::closed)
        finish("payload too large", "1");
}

void session::on_websocket(std::shared_ptr<websocket_link> ws) {
    if (state_ != state::polling || !owner_->settings().allow_upgrades) {
        // Upgraded already, or mid-upgrade: a second WebSocket for one sid is refused.
        ws->close();
        return;
    }
    state_ = state::upgrading;
    probe_ = std::move(ws);
}

bool session::handle_packet(const packet& p, bool from_probe) {
    auto& handler = owner_->handler();
    if (p.binary) {
        handler.on_message(shared_from_this(), p.data(), true);
        return true;
    }
    switch (p.type) {
    case packet_type::pong:
        if (awaiting_pong_) {
            awaiting_pong_ = false;
            arm_ping(owner_->settings().ping_interval);
        }
        return true;
    case packet_type::message:
        handler.on_message(shared_from_this(), p.data(), false);
        return true;
    case packet_type::close:
        finish("client close", "6");
        return false;
    case packet_type::ping:
        if (from_probe && p.data() == "probe") {
            std::vector<frame> reply;
            reply.push_back(text_frame("3probe"));
            probe_->write(std::move(reply));
            if (poll_)
                answer_poll("6");
            return true;
        }
        break;
    case packet_type::upgrade:
        if (from_probe) {
            state_ = state::websocket;
            ws_ = std::move(probe_);
            if (poll_)
                answer_poll("6");
            // A ping among them is sent now; its pong is then due from here on.
            std::vector<frame> pending;
            pending.swap(outbox_);
            set_outbox_bytes(0);
            if (!pending.empty())
                ws_->write(std::move(pending));
            if (std::exchange(ping_in_outbox_, false))
                on_ping_left(ping_seq_, {});
            return true;
        }
        break;
    case packet_type::noop:
        return true;
    case packet_type::open:
        break;
    }
    finish("parse error", "1");
    return false;
}

void session::on_ws_message(const websocket_link* ws, std::string_view data, bool binary) {
    if (state_ == state::closed)
        return;
    bool is_probe = probe_ && probe_.get() == ws;
    if (!is_probe && ws_.get() != ws)
        return;
    packet p;
    if (binary) {
        p.binary = true;
        p.text = data;
    } else if (auto decoded = decode_text(data)) {
        p = *decoded;
    } else {
        finish("parse error", "1");
        return;
    }
    metrics_.count_in(p.binary ? '4' : static_cast<char>(p.type), data.size());
    if (is_probe && !(p.type == packet_type::ping || p.type == packet_type::upgrade)) {
        // Only the probe and the upgrade belong on a WebSocket that is not yet the transport.
        probe_->close();
        probe_.reset();
        state_ = state::polling;
        return;
    }
    handle_packet(p, is_probe);
}

void session::on_ws_closed(const websocket_link* ws, std::string reason) {
    if (probe_ && probe_.get() == ws) {
        probe_.reset();
        if (state_ == state::upgrading)
            state_ = state::polling;
        return;
    }
    if (ws_.get() == ws && state_ != state::closed)
        finish(std::move(reason), "");
}

void session::arm_ping(std::chrono::milliseconds after) {
    ping_timer_.expires_after(after);
    ping_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec)
            self->on_ping_timer();
    });
}

void session::on_ping_timer() {
    if (state_ == state::closed)
        return;
    if (!awaiting_pong_)
        return send_ping();
    // A ping still queued behind a large frame has not reached the peer: the session lives
    // while the frame moves, and times out once nothing has moved for ping_timeout.
    const auto timeout = owner_->settings().ping_timeout;
    if (!ping_left_ && state_ == state::websocket) {
        auto idle = std::chrono::steady_clock::now() - ws_->last_progress();
        if (idle < timeout)
            return arm_ping(std::chrono::ceil<std::chrono::milliseconds>(timeout - idle));
    }
    finish("ping timeout", "1");
}

void session::send_ping() {
    awaiting_pong_ = true;
    ping_left_ = false;
    const auto seq = ++ping_seq_;
    metrics_.count_out('2', 1);
    // Ahead of every queued packet: a heartbeat never waits for data that has not started.
    if (state_ == state::websocket) {
        ws_->write_first(text_frame("2"), [weak = weak_from_this(), seq](auto behind) {
            if (auto self = weak.lock())
                self->on_ping_left(seq, behind);
        });
    } else {
        outbox_.insert(outbox_.begin(), text_frame("2"));
        ping_in_outbox_ = true;
        schedule_flush();
    }
    arm_ping(owner_->settings().ping_timeout);
}

void session::on_ping_left(std::uint64_t seq, std::chrono::steady_clock::duration behind) {
    if (state_ == state::closed || !awaiting_pong_ || seq != ping_seq_ || ping_left_)
        return;
    // The pong is due ping_timeout after the ping has left, not after it was queued, and
    // later by the time the write it waited behind took: the peer takes in and handles that
    // frame before it reaches the ping, at about the rate it took the bytes.
    ping_left_ = true;
    arm_ping(owner_->settings().ping_timeout +
             std::chrono::ceil<std::chrono::milliseconds>(behind));
}

bool session::wants_ping_before(const std::vector<frame>& frames) const {
    // The peer closes by itself when no ping came within ping_interval + ping_timeout (its
    // side of the heartbeat, docs/events.md "Transport"), and it cannot see a ping behind a
    // large frame before it has taken that frame in: one goes ahead, so that the frame
    // starts with a fresh budget. An unanswered ping is ahead of it already. Over
    // long-polling it would cost a request of its own for each large packet.
    if (awaiting_pong_ || state_ != state::websocket)
        return false;
    for (const auto& f : frames)
        if (f.bytes().size() >= batch_bytes)
            return true;
    return false;
}

void session::finish(const std::string& reason, std::string_view poll_answer) {
    if (state_ == state::closed)
        return;
    state_ = state::closed;
    close_reason_ = reason;
    ping_timer_.cancel();
    if (poll_)
        std::exchange(poll_, nullptr)
            ->answer(200, std::string(poll_answer.empty() ? "6" : poll_answer));
    if (ws_)
        std::exchange(ws_, nullptr)->close();
    if (probe_)
        std::exchange(probe_, nullptr)->close();
    outbox_.clear();
    set_outbox_bytes(0);
    if (fetch_check_)
        fetch_check_->cancel();
    owner_->remove(id_);
    metrics_.closed.add(reason);
    owner_->handler().on_close(shared_from_this(), reason);
    user.reset();
}

} // namespace gleitzeit::sio::engine
