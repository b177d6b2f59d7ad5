// The client's incoming half: what the Engine.IO connection reports, and the Socket.IO
// packets it carries, handed to the namespaces' handlers. Runs on the client's strand.
#include "sio/client/client_state.hpp"

#include <boost/asio/dispatch.hpp>

namespace gleitzeit::sio {
namespace asio = boost::asio;

void client_state::on_engine_open(const std::string& transport) {
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

void client_state::on_engine_upgrade() {
    report({client_event::kind::upgrade, "", "websocket", 0, {}, {}});
}

void client_state::on_engine_close(const std::string& reason) {
    engine.reset();
    engine_open = false;
    reassembler.reset();
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

void client_state::on_engine_message(std::string_view data, bool binary) {
    auto r = reassembler.feed(data, binary);
    if (r.failed())
        fail();
    else if (r.done)
        handle(std::move(r.done->value), std::move(r.done->attachments));
}

void client_state::fail() {
    // A server that sends what the protocol forbids is not one to keep talking to.
    if (engine)
        engine->close();
}

void client_state::handle(packet p, std::vector<std::string> attachments) {
    auto* s = find(p.nsp);
    if (!s)
        return;
    switch (p.type) {
    case packet_type::connect:
        on_connect(*s, p);
        return;
    case packet_type::connect_error:
        on_connect_error(*s, p);
        return;
    case packet_type::disconnect:
        on_disconnect(*s, p);
        return;
    case packet_type::event:
    case packet_type::binary_event:
        on_event(*s, p, std::move(attachments));
        return;
    case packet_type::ack:
    case packet_type::binary_ack:
        resolve_ack(p.nsp, *p.id, message{std::move(p.data.get_array()), std::move(attachments)});
        return;
    }
}

void client_state::on_connect(space& s, const packet& p) {
    const auto* o = p.data.if_object();
    const auto* sid = o ? o->if_contains("sid") : nullptr;
    {
        std::lock_guard lock(mutex);
        s.connected = true;
        s.id = sid && sid->is_string() ? std::string(sid->get_string()) : std::string();
    }
    report({client_event::kind::connect, p.nsp, s.id, 0, {}, {}});
    auto buffered = std::move(s.buffer);
    s.buffer.clear();
    for (auto& frames : buffered)
        send_frames(std::move(frames));
}

void client_state::on_connect_error(space& s, const packet& p) {
    s.wanted = false;
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
}

void client_state::on_disconnect(space& s, const packet& p) {
    if (!s.connected)
        return;
    {
        std::lock_guard lock(mutex);
        s.connected = false;
        s.wanted = false;
        s.id.clear();
    }
    report({client_event::kind::disconnect, p.nsp, "io server disconnect", 0, {}, {}});
}

void client_state::on_event(space& s, packet& p, std::vector<std::string> attachments) {
    auto& arr = p.data.get_array();
    std::string event(arr[0].get_string());
    arr.erase(arr.begin());
    message m{std::move(arr), std::move(attachments)};
    namespace_handle::ack_fn ack;
    if (p.id)
        ack = make_ack(p.nsp, *p.id);
    if (auto it = s.handlers.find(event); it != s.handlers.end())
        it->second(m, ack);
    else if (s.any)
        s.any(event, m, ack);
}

namespace_handle::ack_fn client_state::make_ack(const std::string& nsp, std::uint64_t id) {
    // Only the first answer counts, as in the JS client.
    return [weak = weak_from_this(), nsp, id, used = std::make_shared<bool>(false)](message reply) {
        auto self = weak.lock();
        if (!self || std::exchange(*used, true))
            return;
        asio::dispatch(self->strand, [self, nsp, id, reply = std::move(reply)]() mutable {
            self->send_frames(
                self->encode_frames(encode_ack(nsp, id, reply, "4"), reply.attachments));
        });
    };
}

} // namespace gleitzeit::sio
