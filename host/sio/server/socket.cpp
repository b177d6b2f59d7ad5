#include "sio/server/socket.hpp"

#include "sio/server/engine_session.hpp"
#include "sio/server/nsp.hpp"
#include "sio/server/session_sockets.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gleitzeit::sio {
namespace asio = boost::asio;

struct socket::pending_ack {
    pending_ack(const engine::session::strand_type& strand, reply_handler h)
        : timer(strand), handler(std::move(h)) {}
    asio::steady_timer timer;
    reply_handler handler;
};

socket::socket(std::string id, sio::nsp& space, std::weak_ptr<engine::session> session,
               boost::json::value auth)
    : id_(std::move(id)), nsp_(space), session_(std::move(session)), auth_(std::move(auth)) {}

socket::~socket() = default;

const std::string& socket::nsp_name() const {
    return nsp_.name();
}

bool socket::connected() const {
    std::lock_guard lock(mutex_);
    return connected_;
}

void socket::on(std::string event, event_handler handler) {
    handlers_[std::move(event)] = std::move(handler);
}
void socket::on_any(any_handler handler) {
    any_ = std::move(handler);
}
void socket::on_disconnect(disconnect_handler handler) {
    on_disconnect_ = std::move(handler);
}

namespace {

// A frame holds its bytes as its own string, or shared with every socket a broadcast reaches.
void hold(engine::frame& f, std::string bytes) { f.owned = std::move(bytes); }
void hold(engine::frame& f, std::shared_ptr<const std::string> bytes) { f.shared = std::move(bytes); }

/// The packet's text frame, then its attachments as binary frames.
template <class Bytes>
std::vector<engine::frame> frames_of(Bytes text, const std::vector<Bytes>& attachments) {
    std::vector<engine::frame> frames(1 + attachments.size());
    hold(frames[0], std::move(text));
    for (std::size_t i = 0; i < attachments.size(); ++i) {
        hold(frames[i + 1], attachments[i]);
        frames[i + 1].binary = true;
    }
    return frames;
}

} // namespace

void socket::send(std::string text, const std::vector<std::string>& attachments) {
    if (auto s = session_.lock())
        s->send(frames_of(std::move(text), attachments));
}

void socket::send_encoded(std::shared_ptr<const std::string> text,
                          const std::vector<std::shared_ptr<const std::string>>& attachments) {
    if (auto s = session_.lock())
        s->send(frames_of(std::move(text), attachments));
}

void socket::emit(std::string_view event, const message& m) {
    send(encode_event(nsp_.name(), event, m, std::nullopt, "4"), m.attachments);
}

void socket::emit(std::string_view event, const message& m, std::chrono::milliseconds timeout,
                  reply_handler on_reply) {
    auto s = session_.lock();
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mutex_);
        if (!s || !connected_) {
            if (on_reply)
                on_reply(std::nullopt);
            return;
        }
        id = next_ack_++;
        auto pending = std::make_unique<pending_ack>(s->strand(), std::move(on_reply));
        pending->timer.expires_after(timeout);
        pending->timer.async_wait([weak = weak_from_this(), id](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self)
                return;
            std::unique_ptr<pending_ack> expired;
            {
                std::lock_guard lock(self->mutex_);
                auto it = self->acks_.find(id);
                if (it == self->acks_.end())
                    return;
                expired = std::move(it->second);
                self->acks_.erase(it);
            }
            if (expired->handler)
                expired->handler(std::nullopt);
        });
        acks_.emplace(id, std::move(pending));
    }
    send(encode_event(nsp_.name(), event, m, id, "4"), m.attachments);
}

void socket::join(const std::string& room) {
    {
        std::lock_guard lock(mutex_);
        if (!connected_ || !rooms_.insert(room).second)
            return;
    }
    nsp_.join(shared_from_this(), room);
}

void socket::leave(const std::string& room) {
    {
        std::lock_guard lock(mutex_);
        if (!rooms_.erase(room))
            return;
    }
    nsp_.leave(shared_from_this(), room);
}

std::set<std::string> socket::rooms() const {
    std::lock_guard lock(mutex_);
    return rooms_;
}

broadcast socket::to(std::string room) {
    broadcast b(nsp_);
    b.to(std::move(room)).except_socket(id_);
    return b;
}

void socket::disconnect() {
    auto s = session_.lock();
    if (!s)
        return;
    asio::dispatch(s->strand(), [s, self = shared_from_this()] {
        if (auto c = std::static_pointer_cast<session_sockets>(s->user))
            c->disconnect(self, "server namespace disconnect");
    });
}

socket::ack_fn socket::make_ack(std::uint64_t id) {
    return [weak = weak_from_this(), id, used = false](message reply) mutable {
        auto self = weak.lock();
        if (!self || std::exchange(used, true))
            return;
        self->send(encode_ack(self->nsp_.name(), id, reply, "4"), reply.attachments);
    };
}

void socket::deliver_event(std::string_view event, message& m, std::optional<std::uint64_t> id) {
    ack_fn ack = id ? make_ack(*id) : ack_fn{};
    auto keep = shared_from_this();
    ++in_handler_;
    if (auto it = handlers_.find(event); it != handlers_.end())
        it->second(m, ack);
    else if (any_)
        any_(event, m, ack);
    if (--in_handler_ == 0 && !connected())
        drop_handlers();
}

void socket::drop_handlers() {
    // Handlers often capture their own socket; dropping them breaks that cycle.
    handlers_.clear();
    any_ = nullptr;
    on_disconnect_ = nullptr;
}

void socket::deliver_ack(std::uint64_t id, message m) {
    std::unique_ptr<pending_ack> done;
    {
        std::lock_guard lock(mutex_);
        auto it = acks_.find(id);
        if (it == acks_.end())
            return; // late or unknown: the caller has been told of the timeout already
        done = std::move(it->second);
        acks_.erase(it);
    }
    done->timer.cancel();
    if (done->handler)
        done->handler(std::move(m));
}

void socket::closed(const std::string& reason) {
    std::map<std::uint64_t, std::unique_ptr<pending_ack>> orphaned;
    {
        std::lock_guard lock(mutex_);
        if (!connected_)
            return;
        connected_ = false;
        orphaned.swap(acks_);
        rooms_.clear();
    }
    nsp_.remove(shared_from_this());
    auto keep = shared_from_this();
    // The disconnect is told before the unanswered acks fail: whoever sent them learns that
    // the peer went before it hears "no reply", and can tell the one from the other (the hub
    // requeues a gone provider's calls rather than failing them).
    if (on_disconnect_) {
        ++in_handler_;
        on_disconnect_(reason);
        --in_handler_;
    }
    for (auto& [id, p] : orphaned) {
        p->timer.cancel();
        if (p->handler)
            p->handler(std::nullopt);
    }
    // Inside one of this socket's handlers the handler is still running: the last one
    // to return drops them (deliver_event).
    if (in_handler_ == 0)
        drop_handlers();
}

} // namespace gleitzeit::sio
