// The client's outgoing half: emits, acks and their deadlines, the reconnection backoff,
// and closing. Runs on the client's strand.
#include "sio/client/client_state.hpp"

#include <boost/asio/io_context.hpp>

#include <cmath>

namespace gleitzeit::sio {
namespace asio = boost::asio;

client_state::client_state(asio::io_context& ioc, client_target t, client_options o)
    : strand(asio::make_strand(ioc)), target(std::move(t)), options(std::move(o)),
      reconnect_timer(strand), ack_timer(strand) {}

void client_state::report(client_event e) {
    if (status)
        status(e);
}

client_state::space* client_state::find(std::string_view nsp) {
    std::lock_guard lock(mutex);
    auto it = spaces.find(nsp);
    return it == spaces.end() ? nullptr : &it->second;
}

void client_state::open() {
    if (engine || closing)
        return;
    engine = std::make_shared<client_engine>(strand, target, options, *this);
    engine->open();
}

engine::frame client_state::frame_of(std::string text, bool binary) {
    engine::frame f;
    f.owned = std::move(text);
    f.binary = binary;
    return f;
}

void client_state::send_connect(const std::string& nsp, const space& s) {
    packet p;
    p.type = packet_type::connect;
    p.nsp = nsp;
    if (s.auth.is_object())
        p.data = s.auth;
    send_frames({frame_of("4" + encode(p))});
}

void client_state::send_disconnect(const std::string& nsp) {
    packet bye;
    bye.type = packet_type::disconnect;
    bye.nsp = nsp;
    send_frames({frame_of("4" + encode(bye))});
}

void client_state::send_frames(std::vector<engine::frame> frames) {
    if (engine)
        engine->send(std::move(frames));
}

std::vector<engine::frame> client_state::encode_frames(std::string text,
                                                       std::vector<std::string>& attachments_out) {
    std::vector<engine::frame> frames;
    frames.reserve(1 + attachments_out.size());
    frames.push_back(frame_of(std::move(text)));
    for (auto& a : attachments_out)
        frames.push_back(frame_of(std::move(a), true));
    return frames;
}

void client_state::emit(const std::string& nsp, const std::string& event, message m,
                        std::optional<std::chrono::milliseconds> timeout,
                        namespace_handle::reply_handler on_reply) {
    auto* s = find(nsp);
    if (!s)
        return;
    std::optional<std::uint64_t> id;
    if (timeout) {
        id = s->next_id++;
        auto deadline = std::chrono::steady_clock::now() + *timeout;
        s->acks.emplace(*id, pending_ack{deadline, std::move(on_reply)});
        arm_ack_timer(deadline);
    }
    auto frames = encode_frames(encode_event(nsp, event, m, id, "4"), m.attachments);
    if (s->connected)
        send_frames(std::move(frames));
    else
        s->buffer.push_back(std::move(frames));
}

void client_state::resolve_ack(const std::string& nsp, std::uint64_t id,
                               std::optional<message> reply) {
    auto* s = find(nsp);
    if (!s)
        return;
    auto it = s->acks.find(id);
    if (it == s->acks.end())
        return;
    auto handler = std::move(it->second.handler);
    s->acks.erase(it);
    if (handler)
        handler(std::move(reply));
}

// One timer for all pending acks, set to the earliest deadline: a timer per emit would
// cost a timer-queue update, and often a system call, per ack.
void client_state::arm_ack_timer(std::chrono::steady_clock::time_point deadline) {
    if (ack_timer_armed && ack_timer.expiry() <= deadline)
        return;
    ack_timer_armed = true;
    ack_timer.expires_at(deadline);
    ack_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (ec == asio::error::operation_aborted || !self)
            return;
        self->ack_timer_armed = false;
        self->expire_acks();
    });
}

void client_state::expire_acks() {
    auto now = std::chrono::steady_clock::now();
    std::vector<std::pair<std::string, std::uint64_t>> expired;
    std::optional<std::chrono::steady_clock::time_point> next;
    for (auto& [name, s] : spaces)
        for (auto& [id, p] : s.acks) {
            if (p.deadline <= now)
                expired.emplace_back(name, id);
            else if (!next || p.deadline < *next)
                next = p.deadline;
        }
    if (next)
        arm_ack_timer(*next);
    for (const auto& [name, id] : expired)
        resolve_ack(name, id, std::nullopt);
}

void client_state::fail_pending_acks() {
    for (auto& [name, s] : spaces) {
        auto acks = std::move(s.acks);
        s.acks.clear();
        for (auto& [id, p] : acks)
            if (p.handler)
                p.handler(std::nullopt);
    }
    ack_timer.cancel();
    ack_timer_armed = false;
}

std::chrono::milliseconds client_state::next_delay() {
    // The JS client's backoff: base * 2^attempt, then jitter of +-randomization_factor,
    // then the cap.
    double ms = static_cast<double>(options.reconnection_delay.count()) * std::pow(2.0, attempts++);
    if (options.randomization_factor > 0) {
        double r = std::uniform_real_distribution<double>(0, 1)(random);
        double deviation = std::floor(r * options.randomization_factor * ms);
        ms =
            (static_cast<long long>(std::floor(r * 10)) & 1) == 0 ? ms - deviation : ms + deviation;
    }
    ms = std::min(ms, static_cast<double>(options.reconnection_delay_max.count()));
    return std::chrono::milliseconds(static_cast<long long>(ms));
}

void client_state::schedule_reconnect() {
    if (closing || !options.reconnection)
        return;
    if (options.reconnection_attempts && attempts >= options.reconnection_attempts) {
        report({client_event::kind::reconnect_failed, "", "", attempts, {}, {}});
        return;
    }
    auto delay = next_delay();
    report({client_event::kind::reconnect_scheduled, "", "", attempts, delay, {}});
    reconnect_timer.expires_after(delay);
    reconnect_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->closing)
            return;
        self->report({client_event::kind::reconnect_attempt, "", "", self->attempts, {}, {}});
        self->open();
    });
}

void client_state::close() {
    closing = true;
    reconnect_timer.cancel();
    std::vector<std::string> left;
    {
        std::lock_guard lock(mutex);
        for (auto& [name, s] : spaces) {
            if (s.connected)
                left.push_back(name);
            s.connected = false;
            s.id.clear();
        }
    }
    for (const auto& name : left) {
        send_disconnect(name);
        report({client_event::kind::disconnect, name, "io client disconnect", 0, {}, {}});
    }
    fail_pending_acks();
    if (engine)
        engine->close();
}

} // namespace gleitzeit::sio
