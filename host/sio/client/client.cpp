#include "sio/client.hpp"

#include "sio/client_engine.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>

namespace gleitzeit::sio {
namespace asio = boost::asio;
namespace json = boost::json;

struct client_state : std::enable_shared_from_this<client_state>, client_engine::listener {
    struct pending_ack {
        std::chrono::steady_clock::time_point deadline;
        client_socket::reply_handler handler;
    };
    struct space {
        std::unique_ptr<client_socket> handle;
        json::value auth;
        bool wanted = true;
        bool connected = false;
        std::string id;
        std::map<std::string, client_socket::event_handler, std::less<>> handlers;
        client_socket::any_handler any;
        std::vector<std::vector<engine::frame>> buffer; // emits made while not connected
        std::map<std::uint64_t, pending_ack> acks;
        std::uint64_t next_id = 0;
    };

    client_state(asio::io_context& ioc, client_target t, client_options o)
        : strand(asio::make_strand(ioc)), target(std::move(t)), options(std::move(o)),
          reconnect_timer(strand), ack_timer(strand) {}

    client_engine::strand_type strand;
    client_target target;
    client_options options;
    std::function<void(const client_event&)> status;
    std::map<std::string, space, std::less<>> spaces;
    mutable std::mutex
        mutex; // guards `spaces` as a map (of() may add from another thread), id, connected
    std::shared_ptr<client_engine> engine;
    asio::steady_timer reconnect_timer;
    asio::steady_timer ack_timer;
    bool ack_timer_armed = false;
    unsigned attempts = 0;
    bool closing = false;
    bool engine_open = false;
    std::optional<packet> partial;
    std::vector<std::string> attachments;
    std::mt19937_64 random{std::random_device{}()};

    void report(client_event e) {
        if (status)
            status(e);
    }

    space* find(std::string_view nsp) {
        std::lock_guard lock(mutex);
        auto it = spaces.find(nsp);
        return it == spaces.end() ? nullptr : &it->second;
    }

    void open() {
        if (engine || closing)
            return;
        engine = std::make_shared<client_engine>(strand, target, options, *this);
        engine->open();
    }

    void send_connect(const std::string& nsp, const space& s) {
        packet p;
        p.type = packet_type::connect;
        p.nsp = nsp;
        if (s.auth.is_object())
            p.data = s.auth;
        send_frames({frame_of("4" + encode(p))});
    }

    static engine::frame frame_of(std::string text, bool binary = false) {
        engine::frame f;
        f.owned = std::move(text);
        f.binary = binary;
        return f;
    }

    void send_frames(std::vector<engine::frame> frames) {
        if (engine)
            engine->send(std::move(frames));
    }

    std::vector<engine::frame> encode_frames(std::string text,
                                             std::vector<std::string>& attachments_out) {
        std::vector<engine::frame> frames;
        frames.reserve(1 + attachments_out.size());
        frames.push_back(frame_of(std::move(text)));
        for (auto& a : attachments_out)
            frames.push_back(frame_of(std::move(a), true));
        return frames;
    }

    void emit(const std::string& nsp, const std::string& event, message m,
              std::optional<std::chrono::milliseconds> timeout,
              client_socket::reply_handler on_reply) {
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

    void resolve_ack(const std::string& nsp, std::uint64_t id, std::optional<message> reply) {
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

    // One timer for all pending acks, set to the earliest deadline: a timer per emit
    // would cost a timer-queue update, and often a system call, per ack.
    void arm_ack_timer(std::chrono::steady_clock::time_point deadline) {
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

    void expire_acks() {
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

    std::chrono::milliseconds next_delay() {
        // The JS client's backoff: base * 2^attempt, then jitter of +-randomization_factor,
        // then the cap.
        double ms =
            static_cast<double>(options.reconnection_delay.count()) * std::pow(2.0, attempts++);
        if (options.randomization_factor > 0) {
            double r = std::uniform_real_distribution<double>(0, 1)(random);
            double deviation = std::floor(r * options.randomization_factor * ms);
            ms = (static_cast<long long>(std::floor(r * 10)) & 1) == 0 ? ms - deviation
                                                                       : ms + deviation;
        }
        ms = std::min(ms, static_cast<double>(options.reconnection_delay_max.count()));
        return std::chrono::milliseconds(static_cast<long long>(ms));
    }

    void schedule_reconnect() {
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

    // --- client_engine::listener ---
    void on_engine_open(const std::string& transport) override {
        engine_open = true;
        if (attempts > 0) {
            report({client_event::kind::reconnect, "", "", attempts, {}, {}});
            attempts = 0;
        }
        report({client_event::kind::open, "", transport, 0, {}, {}});
        std::vector<std::string> names;
        {
            std::lock_guard lock(mutex);
            for (auto& [name, s] : spaces)
                if (s.wanted)
                    names.push_back(name);
        }
        for (const auto& name : names)
            send_connect(name, *find(name));
    }

    void on_engine_upgrade() override {
        report({client_event::kind::upgrade, "", "websocket", 0, {}, {}});
    }

    void on_engine_close(const std::string& reason) override {
        engine.reset();
        engine_open = false;
        partial.reset();
        attachments.clear();
        std::vector<std::string> left;
        {
            std::lock_guard lock(mutex);
            for (auto& [name, s] : spaces)
                if (s.connected) {
                    s.connected = false;
                    s.id.clear();
                    left.push_back(name);
                }
        }
        for (const auto& name : left)
            report({client_event::kind::disconnect, name, reason, 0, {}, {}});
        report({client_event::kind::close, "", reason, 0, {}, {}});
        if (reason != "io client disconnect")
            schedule_reconnect();
    }

    void on_engine_message(std::string_view data, bool binary) override {
        if (binary) {
            if (!partial)
                return fail();
            attachments.emplace_back(data);
            if (attachments.size() == partial->attachments) {
                auto p = std::move(*partial);
                partial.reset();
                handle(std::move(p), std::exchange(attachments, {}));
            }
            return;
        }
        if (partial)
            return fail();
        auto r = decode(data);
        if (!r.value)
            return fail();
        if (r.value->attachments > 0) {
            partial = std::move(r.value);
            return;
        }
        handle(std::move(*r.value), {});
    }

    void fail() {
        // A server that sends what the protocol forbids is not one to keep talking to.
        if (engine)
            engine->close();
    }

    void handle(packet p, std::vector<std::string> bins) {
        auto* s = find(p.nsp);
        if (!s)
            return;
        switch (p.type) {
        case packet_type::connect: {
            const auto* o = p.data.if_object();
            const auto* sid = o ? o->if_contains("sid") : nullptr;
            {
                std::lock_guard lock(mutex);
                s->connected = true;
                s->id = sid && sid->is_string() ? std::string(sid->get_string()) : std::string();
            }
            report({client_event::kind::connect, p.nsp, s->id, 0, {}, {}});
            auto buffered = std::move(s->buffer);
            s->buffer.clear();
            for (auto& frames : buffered)
                send_frames(std::move(frames));
            return;
        }
        case packet_type::connect_error: {
            s->wanted = false;
            client_event e{client_event::kind::connect_error, p.nsp, "", 0, {}, {}};
            if (const auto* o = p.data.if_object()) {
                if (const auto* m = o->if_contains("message"); m && m->is_string())
                    e.reason = std::string(m->get_string());
                if (const auto* d = o->if_contains("data"))
                    e.data = *d;
            } else if (p.data.is_string()) {
                e.reason = std::string(p.data.get_string());
            }
            report(e);
            return;
        }
        case packet_type::disconnect:
            if (s->connected) {
                {
                    std::lock_guard lock(mutex);
                    s->connected = false;
                    s->wanted = false;
                    s->id.clear();
                }
                report({client_event::kind::disconnect, p.nsp, "io server disconnect", 0, {}, {}});
            }
            return;
        case packet_type::event:
        case packet_type::binary_event: {
            auto& arr = p.data.get_array();
            std::string event(arr[0].get_string());
            arr.erase(arr.begin());
            message m{std::move(arr), std::move(bins)};
            client_socket::ack_fn ack;
            if (p.id)
                ack = [weak = weak_from_this(), nsp = p.nsp, id = *p.id,
                       used = std::make_shared<bool>(false)](message reply) {
                    auto self = weak.lock();
                    if (!self || std::exchange(*used, true))
                        return;
                    asio::dispatch(self->strand,
                                   [self, nsp, id, reply = std::move(reply)]() mutable {
                                       self->send_frames(self->encode_frames(
                                           encode_ack(nsp, id, reply, "4"), reply.attachments));
                                   });
                };
            if (auto it = s->handlers.find(event); it != s->handlers.end())
                it->second(m, ack);
            else if (s->any)
                s->any(event, m, ack);
            return;
        }
        case packet_type::ack:
        case packet_type::binary_ack:
            resolve_ack(p.nsp, *p.id, message{std::move(p.data.get_array()), std::move(bins)});
            return;
        }
    }

    void close() {
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
            packet bye;
            bye.type = packet_type::disconnect;
            bye.nsp = name;
            send_frames({frame_of("4" + encode(bye))});
            report({client_event::kind::disconnect, name, "io client disconnect", 0, {}, {}});
        }
        for (auto& [name, s] : spaces) {
            auto acks = std::move(s.acks);
            s.acks.clear();
            for (auto& [id, p] : acks)
                if (p.handler)
                    p.handler(std::nullopt);
        }
        ack_timer.cancel();
        ack_timer_armed = false;
        if (engine)
            engine->close();
    }
};

namespace {

client_target parse_url(const std::string& url, const std::string& path) {
    auto rest = std::string_view(url);
    for (std::string_view scheme : {"http://", "ws://"})
        if (rest.starts_with(scheme))
            rest.remove_prefix(scheme.size());
    if (rest.size() == url.size() && url.find("://") != std::string::npos)
        throw std::invalid_argument("sio::client: only http:// and ws:// URLs are supported, got " +
                                    url);
    rest = rest.substr(0, rest.find('/'));
    auto colon = rest.rfind(':');
    client_target t;
    t.host = std::string(rest.substr(0, colon));
    t.port = colon == std::string_view::npos ? "80" : std::string(rest.substr(colon + 1));
    t.path = path.ends_with('/') ? path : path + "/";
    if (t.host.empty())
        throw std::invalid_argument("sio::client: no host in " + url);
    return t;
}

} // namespace

// --- client_socket ---

std::string client_socket::id() const {
    std::lock_guard lock(state_->mutex);
    return state_->spaces.at(nsp_).id;
}

bool client_socket::connected() const {
    std::lock_guard lock(state_->mutex);
    return state_->spaces.at(nsp_).connected;
}

void client_socket::on(std::string event, event_handler handler) {
    asio::dispatch(state_->strand, [st = state_->shared_from_this(), nsp = nsp_,
                                    event = std::move(event), h = std::move(handler)]() mutable {
        if (auto* s = st->find(nsp))
            s->handlers[std::move(event)] = std::move(h);
    });
}

void client_socket::on_any(any_handler handler) {
    asio::dispatch(state_->strand,
                   [st = state_->shared_from_this(), nsp = nsp_, h = std::move(handler)]() mutable {
                       if (auto* s = st->find(nsp))
                           s->any = std::move(h);
                   });
}

void client_socket::emit(std::string event, message m) {
    asio::dispatch(state_->strand, [st = state_->shared_from_this(), nsp = nsp_,
                                    event = std::move(event), m = std::move(m)]() mutable {
        st->emit(nsp, event, std::move(m), std::nullopt, nullptr);
    });
}

void client_socket::emit(std::string event, message m, std::chrono::milliseconds timeout,
                         reply_handler on_reply) {
    asio::dispatch(state_->strand,
                   [st = state_->shared_from_this(), nsp = nsp_, event = std::move(event),
                    m = std::move(m), timeout, h = std::move(on_reply)]() mutable {
                       st->emit(nsp, event, std::move(m), timeout, std::move(h));
                   });
}

void client_socket::disconnect() {
    asio::dispatch(state_->strand, [st = state_->shared_from_this(), nsp = nsp_] {
        auto* s = st->find(nsp);
        if (!s)
            return;
        bool was = s->connected;
        {
            std::lock_guard lock(st->mutex);
            s->wanted = false;
            s->connected = false;
            s->id.clear();
        }
        if (!was)
            return;
        packet bye;
        bye.type = packet_type::disconnect;
        bye.nsp = nsp;
        st->send_frames({client_state::frame_of("4" + encode(bye))});
        st->report({client_event::kind::disconnect, nsp, "io client disconnect", 0, {}, {}});
    });
}

// --- client ---

client::client(asio::io_context& ioc, std::string url, client_options opts) {
    auto target = parse_url(url, opts.path);
    state_ = std::make_shared<client_state>(ioc, std::move(target), std::move(opts));
}

client::~client() {
    asio::dispatch(state_->strand, [st = state_] { st->close(); });
}

client_socket& client::of(const std::string& nsp, json::value auth) {
    std::unique_lock lock(state_->mutex);
    auto [it, added] = state_->spaces.try_emplace(nsp);
    auto& s = it->second;
    if (added) {
        s.auth = std::move(auth);
        s.handle.reset(new client_socket(state_.get(), nsp));
        lock.unlock();
        // Joined at once when the connection is already open; else on open.
        asio::dispatch(state_->strand, [st = state_, nsp] {
            auto* sp = st->find(nsp);
            if (st->engine_open && sp && !sp->connected)
                st->send_connect(nsp, *sp);
        });
    }
    return *s.handle;
}

void client::on_status(std::function<void(const client_event&)> handler) {
    asio::dispatch(state_->strand,
                   [st = state_, h = std::move(handler)]() mutable { st->status = std::move(h); });
}

void client::open() {
    asio::dispatch(state_->strand, [st = state_] {
        st->closing = false;
        st->open();
    });
}

void client::close() {
    asio::dispatch(state_->strand, [st = state_] { st->close(); });
}

} // namespace gleitzeit::sio
