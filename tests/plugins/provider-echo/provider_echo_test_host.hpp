#pragma once
// A gleitzeit::host for provider tests, on an io_context the test runs itself: post() and
// timers go through Asio as in gleitzeitd, and everything the plugin does to the host (logs,
// metrics, timers started and cancelled) is recorded so a test can assert on it exactly.

#include "gleitzeit/host.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace provider_echo_test {

class test_host : public gleitzeit::host {
public:
    explicit test_host(boost::asio::io_context& io) : io_(io) {}

    void post(std::function<void()> fn) override {
        ++posted;
        boost::asio::post(io_, std::move(fn));
    }
    void post_blocking(std::function<void()> fn) override { boost::asio::post(io_, std::move(fn)); }

    timer_id start_timer(std::chrono::milliseconds delay, std::function<void()> fn) override {
        const timer_id id = ++next_timer_;
        started_timers.emplace_back(id, delay);
        auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
        timers_[id] = timer;
        functions_[id] = fn;
        timer->async_wait([this, id, fn = std::move(fn)](boost::system::error_code ec) {
            timers_.erase(id);
            if (ec)
                return;
            fired_timers.push_back(id);
            fn();
        });
        return id;
    }

    void cancel_timer(timer_id id) override {
        cancelled_timers.push_back(id);
        if (ignore_cancel)
            return;
        if (auto it = timers_.find(id); it != timers_.end())
            it->second->cancel();
    }

    void log(gleitzeit::log_level level, std::string_view message) override {
        logs.emplace_back(level, std::string(message));
    }
    void metric(std::string_view name, double value) override {
        metrics.emplace_back(std::string(name), value);
        gauges[std::string(name)] = value;
    }
    void emit(std::string_view event, boost::json::object payload) override {
        emitted.emplace_back(std::string(event), std::move(payload));
    }

    /// Runs a started timer's function now, as a host does when the timer expired and its
    /// handler was queued before a cancel_timer that therefore comes too late.
    void fire_now(timer_id id) { functions_.at(id)(); }

    /// Timers started and neither fired nor cancelled yet.
    std::size_t live_timers() const { return timers_.size(); }

    /// True: cancel_timer is recorded but the timer still fires, as when a host's cancel
    /// arrives after the timer has expired and its handler is already queued.
    bool ignore_cancel = false;

    std::size_t posted = 0;
    std::vector<std::pair<timer_id, std::chrono::milliseconds>> started_timers;
    std::vector<timer_id> cancelled_timers;
    std::vector<timer_id> fired_timers;
    std::vector<std::pair<gleitzeit::log_level, std::string>> logs;
    std::vector<std::pair<std::string, double>> metrics; // every metric() call, in order
    std::map<std::string, double> gauges;                // the last value of each
    std::vector<std::pair<std::string, boost::json::object>> emitted;

private:
    boost::asio::io_context& io_;
    timer_id next_timer_ = 0;
    std::map<timer_id, std::shared_ptr<boost::asio::steady_timer>> timers_;
    std::map<timer_id, std::function<void()>> functions_; // for fire_now
};

} // namespace provider_echo_test
