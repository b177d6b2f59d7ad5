#pragma once
// A gleitzeit::host for provider-python's tests. Unlike provider-echo's test host, which the
// test runs itself, this one runs its strand on a thread of its own: provider-python posts
// metrics and logs from its io thread at any time, and the test waits for results that come
// from there. What the plugin does to the host is recorded under a lock.

#include "gleitzeit/host.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace provider_python_test {

class test_host : public gleitzeit::host {
public:
    test_host() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
    ~test_host() override {
        work_.reset();
        thread_.join();
    }

    void post(std::function<void()> fn) override {
        if (closed)
            ++touched_after_close;
        else
            boost::asio::post(io_, std::move(fn));
    }
    void post_blocking(std::function<void()> fn) override { post(std::move(fn)); }

    timer_id start_timer(std::chrono::milliseconds delay, std::function<void()> fn) override {
        auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
        timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code ec) {
            if (!ec)
                fn();
        });
        return 0; // provider-python starts no host timers
    }
    void cancel_timer(timer_id) override {}

    void log(gleitzeit::log_level level, std::string_view message) override {
        if (closed)
            ++touched_after_close;
        std::lock_guard lock(mutex_);
        logs_.emplace_back(level, std::string(message));
    }
    void metric(std::string_view name, double value) override {
        if (closed)
            ++touched_after_close;
        std::lock_guard lock(mutex_);
        gauges_[std::string(name)] = value;
    }
    void emit(std::string_view, boost::json::object) override {}

    /// Waits until everything posted before this call has run on the strand.
    void drain() {
        std::promise<void> ran;
        post([&ran] { ran.set_value(); });
        ran.get_future().wait();
    }

    /// The last value of a gauge, after drain(); -1 if it was never set.
    double gauge(const std::string& name) {
        drain();
        std::lock_guard lock(mutex_);
        auto it = gauges_.find(name);
        return it == gauges_.end() ? -1 : it->second;
    }

    std::vector<std::pair<gleitzeit::log_level, std::string>> logs() {
        drain();
        std::lock_guard lock(mutex_);
        return logs_;
    }

    /// Set by a test to say the plugin must not touch the host any more (as when gleitzeitd
    /// destroys a generation without stop()); every touch after it is counted.
    std::atomic<bool> closed{false};
    std::atomic<int> touched_after_close{0};

private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::pair<gleitzeit::log_level, std::string>> logs_;
    std::map<std::string, double> gauges_;
};

} // namespace provider_python_test
