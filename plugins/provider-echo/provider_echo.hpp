#pragma once
// provider-echo: the in-process provider of echo/v1, for tests, benchmarks and first runs.
//
// Methods (schemas in echo_protocol.cpp):
//   echo  {any params}             -> the params object itself, unchanged, as the result
//   delay {"ms": 0..600000}        -> {"slept_ms": ms} after ms, on a host timer (no thread
//                                     waits); cancel() or stop() ends it with `cancelled`
//   fail  {"message": string,      -> fails with task_error{provider_error, message,
//          "retryable": bool=true}    retryable}
// delay and fail refuse params they do not know; bad params fail the call with
// task_error{invalid_argument, "<method>: params.<name> ...", retryable false}, an unknown
// method with task_error{not_found, "echo/v1 has no method 'x'", retryable false}.
//
// Config (the [providers.config] table, as JSON):
//   max_concurrency  integer 1..100000, default 64: the hub's credit for this provider.
// Any other key, or a value of the wrong type or range, is refused in the constructor with
// gleitzeit::error(invalid_argument, "provider-echo: ...").
//
// When `done` runs. Never inside execute() or cancel(): a caller that reacts to a result by
// calling the provider again must not find itself re-entered. echo and fail have their result
// when execute() returns and deliver it through host::post(); delay delivers from its timer;
// cancel() posts the cancelled result. stop() delivers everything still open synchronously,
// because the host drops what is posted after stop (echo and fail get their own result, delay
// gets `cancelled`). Each call's done runs exactly once, with task_id set and provider
// "provider-echo".
//
// Metrics: calls_total (every execute), running (calls whose done has not run yet).
// Stateless: a hot swap starts the new generation empty while the old one drains.

#include "gleitzeit/provider.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gleitzeit {

class provider_echo : public provider {
public:
    /// Throws gleitzeit::error(invalid_argument) for a config it does not accept.
    explicit provider_echo(const boost::json::object& config);
    ~provider_echo() override;

    void start(host& h) override;
    void stop() override;

    std::vector<protocol_spec> protocols() const override;
    std::size_t max_concurrency() const override { return max_concurrency_; }
    void execute(method_call call, done_fn done) override;
    void cancel(const std::string& task_id) override;

    /// Calls whose done has not run yet.
    std::size_t running() const noexcept { return calls_.size(); }

private:
    struct open_call {
        std::uint64_t serial; // tells apart two deliveries of one task_id (at least once)
        done_fn done;
        std::optional<host::timer_id> timer; // set while a delay sleeps
        task_result result;                  // the outcome, once known
        std::chrono::steady_clock::time_point started;
    };
    // Keyed by task_id for cancel(); a multimap, because the hub may deliver a task again
    // while an earlier delivery still runs, and each gets its own done.
    using call_table = std::unordered_multimap<std::string, open_call>;

    /// Opens a call whose result is known and posts its delivery.
    void open_finished(std::string task_id, done_fn done, task_result result,
                       std::chrono::steady_clock::time_point started);
    void open_delay(std::string task_id, done_fn done, std::int64_t ms,
                    std::chrono::steady_clock::time_point started);
    void post_delivery(const std::string& task_id, std::uint64_t serial);
    void on_timer(const std::string& task_id, std::uint64_t serial, std::int64_t ms);
    call_table::iterator find(const std::string& task_id, std::uint64_t serial);
    /// Removes the call from the table, then runs its done: done may call back into us.
    void deliver(call_table::iterator it);
    static void run_done(open_call& c);
    void publish_running();

    std::size_t max_concurrency_;
    host* host_ = nullptr;
    bool stopped_ = false;
    std::uint64_t next_serial_ = 0;
    std::uint64_t calls_total_ = 0;
    call_table calls_;
    // Posted functions and timers hold it weakly: a host may still run them after this
    // instance is gone, and then they must not touch it.
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

} // namespace gleitzeit
