#include "sio/server/nsp.hpp"

#include <unordered_set>

namespace gleitzeit::sio {

broadcast nsp::to(std::string room) {
    return broadcast(*this).to(std::move(room));
}
broadcast nsp::except(std::string room) {
    return broadcast(*this).except(std::move(room));
}
void nsp::emit(std::string_view event, const message& m) {
    broadcast(*this).emit(event, m);
}

std::size_t nsp::size() const {
    std::lock_guard lock(mutex_);
    return sockets_.size();
}

std::vector<socket_ptr> nsp::sockets() const {
    std::lock_guard lock(mutex_);
    std::vector<socket_ptr> all;
    all.reserve(sockets_.size());
    for (const auto& [id, s] : sockets_)
        all.push_back(s);
    return all;
}

void nsp::add(const socket_ptr& s) {
    std::lock_guard lock(mutex_);
    sockets_.emplace(s->id(), s);
}

void nsp::remove(const socket_ptr& s) {
    std::lock_guard lock(mutex_);
    sockets_.erase(s->id());
    for (auto it = rooms_.begin(); it != rooms_.end();) {
        it->second.erase(s);
        it = it->second.empty() ? rooms_.erase(it) : std::next(it);
    }
}

void nsp::join(const socket_ptr& s, const std::string& room) {
    std::lock_guard lock(mutex_);
    rooms_[room].insert(s);
}

void nsp::leave(const socket_ptr& s, const std::string& room) {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(room);
    if (it == rooms_.end())
        return;
    it->second.erase(s);
    if (it->second.empty())
        rooms_.erase(it);
}

std::vector<socket_ptr> nsp::select(const std::vector<std::string>& rooms,
                                    const std::vector<std::string>& except_rooms,
                                    const std::string& except_id) const {
    std::lock_guard lock(mutex_);
    std::unordered_set<socket_ptr> excluded;
    for (const auto& r : except_rooms)
        if (auto it = rooms_.find(r); it != rooms_.end())
            excluded.insert(it->second.begin(), it->second.end());
    auto wanted = [&](const socket_ptr& s) { return !excluded.count(s) && s->id() != except_id; };

    std::vector<socket_ptr> out;
    if (rooms.empty()) {
        for (const auto& [id, s] : sockets_)
            if (wanted(s))
                out.push_back(s);
        return out;
    }
    std::unordered_set<socket_ptr> seen; // a socket in two of the rooms gets one copy
    for (const auto& r : rooms) {
        auto it = rooms_.find(r);
        if (it == rooms_.end())
            continue;
        for (const auto& s : it->second)
            if (wanted(s) && seen.insert(s).second)
                out.push_back(s);
    }
    return out;
}

std::size_t broadcast::emit(std::string_view event, const message& m) {
    auto targets = nsp_.select(rooms_, except_rooms_, except_id_);
    if (targets.empty())
        return 0;
    auto text =
        std::make_shared<const std::string>(encode_event(nsp_.name(), event, m, std::nullopt, "4"));
    std::vector<std::shared_ptr<const std::string>> attachments;
    attachments.reserve(m.attachments.size());
    for (const auto& a : m.attachments)
        attachments.push_back(std::make_shared<const std::string>(a));
    for (const auto& s : targets)
        s->send_encoded(text, attachments);
    return targets.size();
}

} // namespace gleitzeit::sio
