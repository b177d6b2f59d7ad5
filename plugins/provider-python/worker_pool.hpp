#pragma once
// The warm python3 workers of one provider-python instance and the calls waiting for them.
// Each worker is a child process (provider_io::child_process) running worker.py, serving one
// call at a time over JSON lines; a call beyond the idle workers waits in a FIFO queue.
//
// A worker that dies (crash, rlimit, timeout, cancel) fails only its own call and is
// replaced at once; one that dies before it said it is ready is a start failure, retried
// after a growing pause (and when no worker runs, the waiting calls fail rather than wait
// for nothing).
//
// Threading: every function, and every callback it makes (finish, gauges, log), runs on the
// io_context's thread (io_thread.hpp). The owner posts there.

#include "gleitzeit/host.hpp"
#include "gleitzeit/types.hpp"

#include "child_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace gleitzeit::provider_python_detail {

/// A worker's answer, {result, stdout, stderr}, or why the call failed.
using job_outcome = std::variant<boost::json::object, task_error>;

struct pool_job {
    std::string task_id;
    std::string method;             // "execute" or "call", for messages
    boost::json::object request;    // worker.py's request without its id
    std::optional<std::chrono::milliseconds> timeout;
    std::function<void(job_outcome)> finish; // exactly once
};

struct pool_gauges {
    std::size_t workers = 0; // processes alive, ready or starting
    std::size_t busy = 0;    // workers running a call
    std::size_t queued = 0;
    std::uint64_t calls_total = 0;
    std::uint64_t restarts_total = 0; // workers started to replace one that died
};

class worker_pool {
public:
    using gauges_fn = std::function<void(const pool_gauges&)>;
    using log_fn = std::function<void(log_level, std::string)>;

    worker_pool(boost::asio::io_context& io, provider_io::child_spec worker, std::size_t size,
                gauges_fn gauges, log_fn log);
    ~worker_pool();

    /// Starts every worker. Throws std::runtime_error if the interpreter cannot be started.
    void start();
    void submit(pool_job job);
    /// Ends the calls of `task_id`: a waiting one at once, a running one by killing its
    /// worker. Both finish with `cancelled`.
    void cancel(const std::string& task_id);
    /// Fails every call with `cancelled` (waiting ones now, running ones as their workers
    /// die) and kills every worker; none is started again.
    void shutdown();

private:
    struct running_call {
        std::uint64_t request_id;
        pool_job job;
    };
    struct worker {
        std::shared_ptr<provider_io::child_process> process;
        bool ready = false;
        std::optional<running_call> call;
        std::unique_ptr<boost::asio::steady_timer> deadline;
        std::string stderr_tail; // the worker's own stderr, for its last words
    };

    void spawn_worker();
    void on_line(std::uint64_t worker_id, std::string_view line);
    void on_reply(worker& w, const boost::json::object& reply);
    void on_exit(std::uint64_t worker_id, int status, const std::string& why);
    void on_start_failure(const std::string& detail);
    void schedule_spawn(std::chrono::milliseconds delay);
    void dispatch();
    void finish(running_call& c, job_outcome outcome);
    void publish();

    boost::asio::io_context& io_;
    provider_io::child_spec spec_;
    std::size_t size_;
    gauges_fn gauges_;
    log_fn log_;
    std::map<std::uint64_t, worker> workers_;
    std::deque<pool_job> queue_;
    boost::asio::steady_timer respawn_timer_;
    std::chrono::milliseconds start_backoff_{0};
    std::uint64_t next_worker_ = 0;
    std::uint64_t next_request_ = 0;
    pool_gauges counts_;
    bool stopping_ = false;
};

} // namespace gleitzeit::provider_python_detail
