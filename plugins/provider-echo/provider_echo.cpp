#include "provider_echo.hpp"

#include "echo_protocol.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/value.hpp>

#include <exception>
#include <utility>

namespace gleitzeit {

namespace json = boost::json;
using namespace provider_echo_detail;
using steady_clock = std::chrono::steady_clock;

namespace {

// Neither cancel nor a refused call gets better by trying again.
task_error cancelled_error() {
    return {error_code::cancelled, "cancelled", false};
}

} // namespace

provider_echo::provider_echo(const json::object& config)
    : max_concurrency_(read_max_concurrency(config)) {}

provider_echo::~provider_echo() = default;

void provider_echo::start(host& h) {
    host_ = &h;
    host_->metric("calls_total", 0);
    host_->metric("running", 0);
    host_->log(log_level::info, std::string("serving ") + protocol_id + " with max_concurrency " +
                                    std::to_string(max_concurrency_));
}

void provider_echo::stop() {
    if (stopped_)
        return;
    stopped_ = true;
    // Taken out first: a done that calls execute() again must not find these calls open.
    call_table open;
    open.swap(calls_);
    for (auto& kv : open) {
        open_call& c = kv.second;
        if (c.timer) {
            if (host_)
                host_->cancel_timer(*c.timer);
            c.timer.reset();
            c.result.error = cancelled_error();
        }
    }
    if (host_)
        host_->metric("running", 0);
    host_ = nullptr;
    // Every done runs even if one throws; the first exception is reported after the rest.
    std::exception_ptr first;
    for (auto& kv : open) {
        try {
            run_done(kv.second);
        } catch (...) {
            if (!first)
                first = std::current_exception();
        }
    }
    if (first)
        std::rethrow_exception(first);
}

std::vector<protocol_spec> provider_echo::protocols() const {
    return {echo_spec()};
}

void provider_echo::execute(method_call call, done_fn done) {
    const auto started = steady_clock::now();
    task_result r;
    r.task_id = call.task_id;
    r.provider = plugin_name;
    if (stopped_ || !host_) {
        // Nothing posted now would run (the host drops posts after stop), so answer at once.
        r.error = stopped_
                      ? task_error{error_code::cancelled, "provider-echo is stopped", false}
                      : task_error{error_code::plugin_error, "provider-echo is not started", false};
        done(std::move(r));
        return;
    }
    ++calls_total_;
    host_->metric("calls_total", static_cast<double>(calls_total_));
    try {
        if (call.protocol != protocol_id)
            throw error(error_code::not_found,
                        "provider-echo does not serve protocol '" + call.protocol + "'");
        if (call.method == "echo") {
            r.result = json::value(std::move(call.params));
        } else if (call.method == "delay") {
            const std::int64_t ms = read_delay(call.params);
            open_delay(std::move(call.task_id), std::move(done), ms, started);
            return;
        } else if (call.method == "fail") {
            r.error = read_fail(call.params);
        } else {
            throw error(error_code::not_found,
                        std::string(protocol_id) + " has no method '" + call.method + "'");
        }
    } catch (const error& e) {
        // Bad params or an unknown method fail the same way on every attempt.
        r.error = task_error{e.code(), e.what(), false};
    }
    open_finished(std::move(call.task_id), std::move(done), std::move(r), started);
}

void provider_echo::cancel(const std::string& task_id) {
    if (stopped_ || !host_)
        return;
    auto [first, last] = calls_.equal_range(task_id);
    for (auto it = first; it != last; ++it) {
        open_call& c = it->second;
        // echo and fail have finished their work; only their delivery is pending.
        if (!c.timer)
            continue;
        host_->cancel_timer(*c.timer);
        c.timer.reset();
        c.result.error = cancelled_error();
        post_delivery(task_id, c.serial);
    }
}

void provider_echo::open_finished(std::string task_id, done_fn done, task_result result,
                                  steady_clock::time_point started) {
    const std::uint64_t serial = ++next_serial_;
    auto it = calls_.emplace(std::move(task_id), open_call{serial, std::move(done), std::nullopt,
                                                           std::move(result), started});
    publish_running();
    post_delivery(it->first, serial);
}

void provider_echo::open_delay(std::string task_id, done_fn done, std::int64_t ms,
                               steady_clock::time_point started) {
    const std::uint64_t serial = ++next_serial_;
    const host::timer_id timer =
        host_->start_timer(std::chrono::milliseconds(ms),
                           [this, alive = std::weak_ptr<const bool>(alive_), task_id, serial, ms] {
                               if (!alive.expired())
                                   on_timer(task_id, serial, ms);
                           });
    task_result pending;
    pending.task_id = task_id;
    pending.provider = plugin_name;
    calls_.emplace(std::move(task_id),
                   open_call{serial, std::move(done), timer, std::move(pending), started});
    publish_running();
}

void provider_echo::post_delivery(const std::string& task_id, std::uint64_t serial) {
    host_->post([this, alive = std::weak_ptr<const bool>(alive_), task_id, serial] {
        if (alive.expired())
            return;
        // Gone already when stop() delivered it.
        if (auto it = find(task_id, serial); it != calls_.end())
            deliver(it);
    });
}

void provider_echo::on_timer(const std::string& task_id, std::uint64_t serial, std::int64_t ms) {
    auto it = find(task_id, serial);
    // A host may run a timer whose cancel came too late; cancel() has decided the outcome.
    if (it == calls_.end() || !it->second.timer)
        return;
    it->second.timer.reset();
    it->second.result.result = json::object{{"slept_ms", ms}};
    deliver(it);
}

provider_echo::call_table::iterator provider_echo::find(const std::string& task_id,
                                                        std::uint64_t serial) {
    auto [first, last] = calls_.equal_range(task_id);
    for (auto it = first; it != last; ++it)
        if (it->second.serial == serial)
            return it;
    return calls_.end();
}

void provider_echo::deliver(call_table::iterator it) {
    open_call c = std::move(it->second);
    calls_.erase(it);
    publish_running();
    run_done(c);
}

void provider_echo::run_done(open_call& c) {
    c.result.duration_ms =
        std::chrono::duration<double, std::milli>(steady_clock::now() - c.started).count();
    done_fn done = std::move(c.done);
    done(std::move(c.result));
}

void provider_echo::publish_running() {
    if (host_)
        host_->metric("running", static_cast<double>(calls_.size()));
}

} // namespace gleitzeit
