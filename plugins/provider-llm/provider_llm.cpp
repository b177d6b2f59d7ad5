#include "provider_llm.hpp"

#include "each_call.hpp"

#include "gleitzeit/error.hpp"

#include <cstdlib>
#include <utility>

namespace gleitzeit {

namespace json = boost::json;
using namespace provider_llm_detail;
using steady_clock = std::chrono::steady_clock;

provider_llm::provider_llm(const json::object& config)
    : provider_llm(config, [](const char* name) { return std::getenv(name); }) {}

provider_llm::provider_llm(const json::object& config, const env_lookup& env)
    : config_(read_config(config, env)) {}

provider_llm::~provider_llm() {
    // stop() has run unless the host never started this instance or a test skipped it; the
    // thread must not outlive the object either way.
    if (client_)
        client_->close();
    if (io_)
        io_->stop();
    client_.reset();
}

void provider_llm::start(host& h) {
    host_ = &h;
    io_ = std::make_unique<provider_io::io_thread>();
    client_ = std::make_unique<provider_io::http_client>(io_->context());
    host_->metric("calls_total", 0);
    host_->metric("running", 0);
    host_->metric("healthy", 1);
    host_->log(log_level::info, std::string("serving ") + protocol_id + " from " +
                                    std::string(to_string(config_.api)) + " at " + config_.url +
                                    " with max_concurrency " +
                                    std::to_string(config_.max_concurrency));
    if (config_.health_interval.count() > 0)
        check_health();
}

void provider_llm::stop() {
    if (stopped_)
        return;
    stopped_ = true;
    if (host_ && health_timer_)
        host_->cancel_timer(*health_timer_);
    health_timer_.reset();
    // After the join no code of this instance runs on the io thread; what its last
    // callbacks posted finds the call table empty below.
    if (client_)
        client_->close();
    if (io_)
        io_->stop();
    client_.reset();
    call_table open;
    open.swap(calls_);
    if (host_)
        host_->metric("running", 0);
    host_ = nullptr;
    provider_io::end_each(open, [this](auto& kv) {
        task_result r;
        r.error = task_error{error_code::cancelled, "provider-llm is stopping", false};
        run_done(kv.second, std::move(r));
    });
}

std::vector<protocol_spec> provider_llm::protocols() const {
    if (!healthy_)
        return {};
    return {llm_spec()};
}

void provider_llm::execute(method_call call, done_fn done) {
    if (stopped_ || !host_) {
        // Nothing posted now would run (the host drops posts after stop), so answer at once.
        task_result r;
        r.task_id = call.task_id;
        r.provider = plugin_name;
        r.error = stopped_
                      ? task_error{error_code::cancelled, "provider-llm is stopped", false}
                      : task_error{error_code::plugin_error, "provider-llm is not started", false};
        done(std::move(r));
        return;
    }
    const auto started = steady_clock::now();
    ++calls_total_;
    host_->metric("calls_total", static_cast<double>(calls_total_));
    llm_request request;
    try {
        if (call.protocol != protocol_id)
            throw error(error_code::not_found,
                        "provider-llm does not serve protocol '" + call.protocol + "'");
        request = read_request(call.method, call.params, config_.default_model);
    } catch (const error& e) {
        // Bad params or an unknown method fail the same way on every attempt.
        post_failure(std::move(call.task_id), std::move(done), {e.code(), e.what(), false});
        return;
    }
    std::chrono::milliseconds total = config_.call_timeout;
    if (call.timeout.count() > 0 && call.timeout < total)
        total = call.timeout; // the hub gives up then anyway
    const std::uint64_t serial = ++next_serial_;
    const bool has_files = !request.file_path.empty() || !request.image_path.empty();
    open_call c;
    c.task_id = std::move(call.task_id);
    c.done = std::move(done);
    c.request = std::make_shared<const llm_request>(std::move(request));
    c.total = total;
    c.started = started;
    calls_.emplace(serial, std::move(c));
    publish_running();
    if (has_files)
        read_files(serial);
    else
        send(serial);
}

void provider_llm::cancel(const std::string& task_id) {
    if (stopped_ || !host_)
        return;
    for (auto& [serial, c] : calls_) {
        if (c.task_id != task_id || c.cancelled)
            continue;
        c.cancelled = true;
        if (c.http) {
            // Its done comes with http_failure::cancelled, and delivers the call.
            client_->cancel(*c.http);
        } else {
            // Its files are being read; that result will find the call gone.
            const std::uint64_t s = serial;
            to_strand([this, s] {
                if (calls_.count(s))
                    deliver(s, std::nullopt, task_error{error_code::cancelled, "cancelled", false});
            });
        }
    }
}

void provider_llm::to_strand(std::function<void()> fn) {
    host_->post([alive = std::weak_ptr<const bool>(alive_), fn = std::move(fn)] {
        if (!alive.expired())
            fn();
    });
}

void provider_llm::post_failure(std::string task_id, done_fn done, task_error error) {
    const std::uint64_t serial = ++next_serial_;
    open_call c;
    c.task_id = std::move(task_id);
    c.done = std::move(done);
    c.started = steady_clock::now();
    calls_.emplace(serial, std::move(c));
    publish_running();
    to_strand([this, serial, error = std::move(error)] {
        if (calls_.count(serial))
            deliver(serial, std::nullopt, error);
    });
}

void provider_llm::deliver(std::uint64_t serial, std::optional<json::object> result,
                           std::optional<task_error> error) {
    auto it = calls_.find(serial);
    if (it == calls_.end())
        return;
    open_call c = std::move(it->second);
    calls_.erase(it);
    publish_running();
    task_result r;
    if (result)
        r.result = json::value(std::move(*result));
    r.error = std::move(error);
    run_done(c, std::move(r));
}

void provider_llm::run_done(open_call& c, task_result r) {
    r.task_id = c.task_id;
    r.provider = plugin_name;
    r.duration_ms =
        std::chrono::duration<double, std::milli>(steady_clock::now() - c.started).count();
    done_fn done = std::move(c.done);
    done(std::move(r));
}

void provider_llm::publish_running() {
    if (host_)
        host_->metric("running", static_cast<double>(calls_.size()));
}

} // namespace gleitzeit
