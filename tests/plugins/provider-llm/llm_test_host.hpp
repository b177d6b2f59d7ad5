#pragma once
// A gleitzeit::host for provider-llm's tests, on an io_context the test runs itself as the
// slot strand. Unlike provider-echo's test host, post() is called from the provider's io
// thread, so it touches nothing but the io_context (which is thread-safe); everything else
// runs on the test's thread and is recorded for assertions.

#include "gleitzeit/host.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace provider_llm_test {

class test_host : public gleitzeit::host {
public:
    explicit test_host(boost::asio::io_context& io) : io_(io) {}

    void post(std::function<void()> fn) override { boost::asio::post(io_, std::move(fn)); }
    void post_blocking(std::function<void()> fn) override { boost::asio::post(io_, std::move(fn)); }

    timer_id start_timer(std::chrono::milliseconds delay, std::function<void()> fn) override {
        const timer_id id = ++next_timer_;
        auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
        timers_[id] = timer;
        timer->async_wait([this, id, fn = std::move(fn)](boost::system::error_code ec) {
            timers_.erase(id);
            if (!ec)
                fn();
        });
        return id;
    }
    void cancel_timer(timer_id id) override {
        if (auto it = timers_.find(id); it != timers_.end())
            it->second->cancel();
    }

    void log(gleitzeit::log_level, std::string_view message) override {
        logs.emplace_back(message);
    }
    void metric(std::string_view name, double value) override {
        gauges[std::string(name)] = value;
    }
    void emit(std::string_view event, boost::json::object payload) override {
        emitted.emplace_back(std::string(event), std::move(payload));
    }

    /// The events named `event`, in order.
    std::vector<boost::json::object> events(const std::string& event) const {
        std::vector<boost::json::object> out;
        for (const auto& [name, payload] : emitted)
            if (name == event)
                out.push_back(payload);
        return out;
    }

    std::vector<std::string> logs;
    std::map<std::string, double> gauges;
    std::vector<std::pair<std::string, boost::json::object>> emitted;

private:
    boost::asio::io_context& io_;
    timer_id next_timer_ = 0;
    std::map<timer_id, std::shared_ptr<boost::asio::steady_timer>> timers_;
};

} // namespace provider_llm_test
