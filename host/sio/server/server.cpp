#include "sio/server/server.hpp"

#include "sio/server/engine_session.hpp"
#include "sio/server/session_sockets.hpp"

namespace gleitzeit::sio {

server::server(server_options opts) : options_(std::move(opts)) {}

nsp& server::of(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto& slot = namespaces_[name];
    if (!slot)
        slot = std::make_unique<nsp>(name);
    return *slot;
}

nsp* server::find(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = namespaces_.find(name);
    return it == namespaces_.end() ? nullptr : it->second.get();
}

void server::on_open(const std::shared_ptr<engine::session>& s) {
    auto c = std::make_shared<session_sockets>(*this, s);
    s->user = c;
    c->start_connect_timer(options_.connect_timeout);
}

void server::on_message(const std::shared_ptr<engine::session>& s, std::string_view data,
                        bool binary) {
    if (auto c = std::static_pointer_cast<session_sockets>(s->user))
        c->on_message(data, binary);
}

void server::on_close(const std::shared_ptr<engine::session>& s, const std::string& reason) {
    if (auto c = std::static_pointer_cast<session_sockets>(s->user))
        c->on_close(reason);
}

} // namespace gleitzeit::sio
