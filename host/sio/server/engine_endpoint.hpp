#pragma once
// An Engine.IO endpoint mounted at one path ("/socket.io/", "/engine.io/"): its settings,
// its live sessions by sid, and the handler above it.

#include "sio/server/engine_options.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gleitzeit::sio {
class metrics;
}

namespace gleitzeit::sio::engine {

class session;
class session_handler;

class endpoint : public std::enable_shared_from_this<endpoint> {
public:
    endpoint(options opts, session_handler& handler, metrics& stats);

    const options& settings() const { return options_; }
    session_handler& handler() { return handler_; }
    metrics& stats() { return metrics_; }

    /// A new session with a fresh sid, registered under it.
    std::shared_ptr<session> create(boost::asio::io_context& ioc);
    /// Same, on an executor the caller already runs on (a direct WebSocket's own strand).
    template <class Strand> std::shared_ptr<session> create_on(Strand strand);

    std::shared_ptr<session> find(std::string_view sid) const;
    void remove(const std::string& sid);
    std::size_t size() const;
    /// Closes every session (server shutdown).
    void close_all(const std::string& reason);

    /// Counts bytes more (or, negative, fewer) waiting in polling sessions for a GET.
    void count_polling_waiting(std::ptrdiff_t delta) {
        polling_waiting_.fetch_add(static_cast<std::size_t>(delta), std::memory_order_relaxed);
    }
    /// Whether the polling sessions together hold more than twice what one may
    /// (max_buffered): past it, those that do not fetch are closed (session::hoarding).
    bool polling_over_budget() const {
        return polling_waiting_.load(std::memory_order_relaxed) > 2 * options_.max_buffered;
    }

private:
    std::string new_sid();
    void add(const std::shared_ptr<session>& s);

    options options_;
    session_handler& handler_;
    metrics& metrics_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<session>> sessions_;
    std::atomic<std::size_t> polling_waiting_{0}; // what waits in all polling outboxes
};

} // namespace gleitzeit::sio::engine

#include "sio/server/engine_session.hpp"

namespace gleitzeit::sio::engine {
template <class Strand> std::shared_ptr<session> endpoint::create_on(Strand strand) {
    auto s = std::make_shared<session>(std::move(strand), new_sid(), shared_from_this());
    add(s);
    return s;
}
} // namespace gleitzeit::sio::engine
