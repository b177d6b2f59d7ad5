#include "sio/server/engine_endpoint.hpp"

#include "sio/protocol/random_id.hpp"
#include "sio/server/metrics.hpp"

#include <boost/asio/strand.hpp>

#include <vector>

namespace gleitzeit::sio::engine {

endpoint::endpoint(options opts, session_handler& handler, metrics& stats)
    : options_(std::move(opts)), handler_(handler), metrics_(stats) {}

std::string endpoint::new_sid() {
    return random_id();
}

std::shared_ptr<session> endpoint::create(boost::asio::io_context& ioc) {
    return create_on(boost::asio::make_strand(ioc));
}

void endpoint::add(const std::shared_ptr<session>& s) {
    {
        std::lock_guard lock(mutex_);
        sessions_.emplace(s->id(), s);
    }
    metrics_.sessions_open.fetch_add(1, std::memory_order_relaxed);
    metrics_.sessions_total.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<session> endpoint::find(std::string_view sid) const {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(std::string(sid));
    return it == sessions_.end() ? nullptr : it->second;
}

void endpoint::remove(const std::string& sid) {
    std::lock_guard lock(mutex_);
    if (sessions_.erase(sid))
        metrics_.sessions_open.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t endpoint::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

void endpoint::close_all(const std::string& reason) {
    std::vector<std::shared_ptr<session>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [sid, s] : sessions_)
            all.push_back(s);
    }
    for (auto& s : all)
        s->close(reason);
}

} // namespace gleitzeit::sio::engine
