#include "http_connection.hpp"

#include <poll.h>

namespace gleitzeit::provider_io::detail {

http_connection::http_connection(boost::asio::io_context& io, boost::asio::ssl::context* tls) {
    if (tls)
        tls_.emplace(io, *tls);
    else
        plain_.emplace(io);
}

void http_connection::close() noexcept {
    boost::system::error_code ignored;
    socket().close(ignored);
}

bool http_connection::usable_when_idle() const noexcept {
    const auto& s = tls_ ? tls_->next_layer() : *plain_;
    if (!s.is_open())
        return false;
    pollfd p{};
    p.fd = const_cast<http_connection*>(this)->socket().native_handle();
    p.events = POLLIN;
    // Zero timeout: a look, not a wait. Readable (EOF, a TLS close_notify) or an error means
    // the server is done with this connection.
    const int n = ::poll(&p, 1, 0);
    return n == 0;
}

std::shared_ptr<http_connection> connection_pool::take(const std::string& key) {
    auto it = by_key_.find(key);
    if (it == by_key_.end())
        return nullptr;
    auto& idle = it->second;
    const auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
        std::shared_ptr<http_connection> c = std::move(idle.back());
        idle.pop_back();
        --idle_;
        if (now - c->idle_since < max_idle_time && c->usable_when_idle())
            return c;
        c->close();
    }
    by_key_.erase(it);
    return nullptr;
}

void connection_pool::put(const std::string& key, std::shared_ptr<http_connection> c) {
    auto& idle = by_key_[key];
    if (idle.size() >= max_idle_per_endpoint) {
        c->close();
        return;
    }
    c->idle_since = std::chrono::steady_clock::now();
    idle.push_back(std::move(c));
    ++idle_;
}

void connection_pool::clear() {
    for (auto& kv : by_key_)
        for (auto& c : kv.second)
            c->close();
    by_key_.clear();
    idle_ = 0;
}

} // namespace gleitzeit::provider_io::detail
