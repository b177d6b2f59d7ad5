#include "hub/clock.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gleitzeit::hub {

namespace {

class timer_alarm : public alarm {
public:
    timer_alarm(boost::asio::io_context& ioc, std::chrono::milliseconds delay)
        : timer_(ioc, delay) {}
    boost::asio::steady_timer& timer() { return timer_; }

private:
    boost::asio::steady_timer timer_; // destroyed: cancelled, and the handler sees the error
};

class system_clock_with_timers : public clock {
public:
    explicit system_clock_with_timers(boost::asio::io_context& ioc) : ioc_(ioc) {}

    std::int64_t now_ms() const override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    std::unique_ptr<alarm> after(std::chrono::milliseconds delay,
                                 std::function<void()> fn) override {
        auto a = std::make_unique<timer_alarm>(ioc_, delay);
        a->timer().async_wait([fn = std::move(fn)](boost::system::error_code ec) {
            if (!ec)
                fn();
        });
        return a;
    }

private:
    boost::asio::io_context& ioc_;
};

} // namespace

std::unique_ptr<clock> real_clock(boost::asio::io_context& ioc) {
    return std::make_unique<system_clock_with_timers>(ioc);
}

} // namespace gleitzeit::hub
