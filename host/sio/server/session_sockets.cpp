#include "sio/server/session_sockets.hpp"

#include "sio/protocol/random_id.hpp"
#include "sio/server/engine_session.hpp"
#include "sio/server/server.hpp"

#include <boost/json/serialize.hpp>

namespace gleitzeit::sio {
namespace json = boost::json;

session_sockets::session_sockets(server& owner, const std::shared_ptr<engine::session>& session)
    : server_(owner), session_(session), connect_timer_(session->strand()),
      // A packet's attachments together are bounded as one message is.
      reassembler_(owner.options().engine.max_payload) {}

void session_sockets::start_connect_timer(std::chrono::milliseconds timeout) {
    connect_timer_.expires_after(timeout);
    connect_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || !self->sockets_.empty())
            return;
        if (auto s = self->session_.lock())
            s->close("connect timeout");
    });
}

void session_sockets::send_text(std::string text) {
    if (auto s = session_.lock()) {
        std::vector<engine::frame> frames(1);
        frames[0].owned = std::move(text);
        s->send(std::move(frames));
    }
}

void session_sockets::fail() {
    reassembler_.reset();
    if (auto s = session_.lock())
        s->close("parse error");
}

void session_sockets::on_message(std::string_view data, bool binary) {
    auto r = reassembler_.feed(data, binary);
    if (r.failed())
        return fail();
    // Attachments are buffered only for a namespace the client has joined: before CONNECT a
    // client may send one packet, not a stream of binary frames the hub would hold.
    if (!r.done && reassembler_.pending() && !sockets_.count(reassembler_.pending_nsp()))
        fail();
    else if (r.done)
        handle(std::move(r.done->value), std::move(r.done->attachments));
}

void session_sockets::handle(packet p, std::vector<std::string> attachments) {
    switch (p.type) {
    case packet_type::connect:
        connect(p);
        return;
    case packet_type::disconnect:
        if (auto it = sockets_.find(p.nsp); it != sockets_.end())
            disconnect(it->second, "client namespace disconnect");
        return;
    case packet_type::event:
    case packet_type::binary_event: {
        auto it = sockets_.find(p.nsp);
        if (it == sockets_.end())
            return; // an event for a namespace this client never joined is dropped
        auto& arr = p.data.get_array();
        std::string event(arr[0].get_string());
        arr.erase(arr.begin());
        message m{std::move(arr), std::move(attachments)};
        auto keep = it->second; // the handler may disconnect it
        keep->deliver_event(event, m, p.id);
        return;
    }
    case packet_type::ack:
    case packet_type::binary_ack: {
        auto it = sockets_.find(p.nsp);
        if (it == sockets_.end() || !p.id)
            return;
        it->second->deliver_ack(*p.id,
                                message{std::move(p.data.get_array()), std::move(attachments)});
        return;
    }
    case packet_type::connect_error:
        fail(); // a client may not send CONNECT_ERROR
        return;
    }
}

void session_sockets::connect(packet& p) {
    auto* space = server_.find(p.nsp);
    auto refuse = [&](json::object error) {
        packet reply;
        reply.type = packet_type::connect_error;
        reply.nsp = p.nsp;
        reply.data = std::move(error);
        send_text("4" + encode(reply));
    };
    if (!space) {
        refuse({{"message", "Invalid namespace"}});
        return;
    }
    if (sockets_.count(p.nsp))
        return; // already connected: a repeated CONNECT changes nothing
    json::value auth = p.data.is_object() ? std::move(p.data) : json::value(json::object{});
    if (const auto& authorize = space->authorizer_fn()) {
        if (auto refusal = authorize(auth)) {
            json::object error{{"message", refusal->message}};
            if (!refusal->data.is_null())
                error["data"] = refusal->data;
            refuse(std::move(error));
            return;
        }
    }
    connect_timer_.cancel();
    auto s = std::make_shared<socket>(random_id(), *space, session_, std::move(auth));
    sockets_.emplace(p.nsp, s);
    space->add(s);
    packet reply;
    reply.type = packet_type::connect;
    reply.nsp = p.nsp;
    reply.data = json::object{{"sid", s->id()}};
    send_text("4" + encode(reply));
    if (const auto& on_connection = space->connection_fn())
        on_connection(s);
}

void session_sockets::disconnect(socket_ptr s, const std::string& reason) {
    auto it = sockets_.find(s->nsp_name());
    if (it == sockets_.end() || it->second != s)
        return;
    sockets_.erase(it);
    if (reason == "server namespace disconnect") {
        packet bye;
        bye.type = packet_type::disconnect;
        bye.nsp = s->nsp_name();
        send_text("4" + encode(bye));
    }
    s->closed(reason);
}

void session_sockets::on_close(const std::string& reason) {
    connect_timer_.cancel();
    auto all = std::move(sockets_);
    sockets_.clear();
    for (auto& [name, s] : all)
        s->closed(reason);
}

} // namespace gleitzeit::sio
