#include "worker_pool.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <sstream>
#include <sys/wait.h>

namespace gleitzeit::provider_python_detail {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t stderr_tail_limit = 2000;

// Why the pool killed a worker (child_process::kill), read back when it has exited.
constexpr const char* killed_for_timeout = "timeout";
constexpr const char* killed_for_cancel = "cancelled";
constexpr const char* killed_for_stop = "stopped";

std::string describe_status(int status) {
    if (WIFEXITED(status))
        return "exit code " + std::to_string(WEXITSTATUS(status));
    if (!WIFSIGNALED(status))
        return "wait status " + std::to_string(status);
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    std::string out = "killed by " + (abbrev ? "SIG" + std::string(abbrev) : std::to_string(sig));
    if (sig == SIGXCPU)
        out += ", over cpu_seconds";
    return out;
}

std::string seconds_text(std::chrono::milliseconds ms) {
    std::ostringstream s;
    s << static_cast<double>(ms.count()) / 1000.0 << " s";
    return s.str();
}

task_error cancelled(const char* why) {
    return {error_code::cancelled, why, false};
}

// Why a call failed when its worker went away under it.
task_error exit_failure(const pool_job& job, int status, const std::string& why) {
    if (why == killed_for_timeout)
        return {error_code::timeout,
                job.method + ": timed out after " + seconds_text(*job.timeout) + "; its worker was killed",
                true};
    if (why == killed_for_cancel)
        return cancelled("cancelled");
    if (why == killed_for_stop)
        return cancelled("provider-python is stopping");
    // A crash may be the code's or the machine's: another attempt may succeed.
    if (!why.empty()) // killed for breaking the protocol, e.g. an over-long line
        return {error_code::provider_error, job.method + ": the python worker was killed: " + why, true};
    return {error_code::provider_error,
            job.method + ": the python worker died (" + describe_status(status) + ")", true};
}

} // namespace

worker_pool::worker_pool(boost::asio::io_context& io, provider_io::child_spec worker,
                         std::size_t size, gauges_fn gauges, log_fn log)
    : io_(io), spec_(std::move(worker)), size_(size), gauges_(std::move(gauges)),
      log_(std::move(log)), respawn_timer_(io) {}

worker_pool::~worker_pool() = default;

void worker_pool::start() {
    for (std::size_t i = 0; i < size_; ++i)
        spawn_worker();
    publish();
}

void worker_pool::spawn_worker() {
    const std::uint64_t id = ++next_worker_;
    auto process = provider_io::child_process::spawn(
        io_, spec_, [this, id](std::string_view line) { on_line(id, line); },
        [this, id](std::string_view bytes) {
            if (auto it = workers_.find(id); it != workers_.end()) {
                std::string& tail = it->second.stderr_tail;
                tail.append(bytes);
                if (tail.size() > stderr_tail_limit)
                    tail.erase(0, tail.size() - stderr_tail_limit);
            }
        },
        [this, id](int status, const std::string& why) { on_exit(id, status, why); });
    workers_[id].process = std::move(process);
}

void worker_pool::submit(pool_job job) {
    ++counts_.calls_total;
    if (stopping_) {
        running_call c{0, std::move(job)};
        finish(c, cancelled("provider-python is stopping"));
        return;
    }
    queue_.push_back(std::move(job));
    dispatch();
    publish();
}

void worker_pool::cancel(const std::string& task_id) {
    std::vector<pool_job> waiting;
    for (auto it = queue_.begin(); it != queue_.end();) {
        if (it->task_id == task_id) {
            waiting.push_back(std::move(*it));
            it = queue_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& [id, w] : workers_)
        if (w.call && w.call->job.task_id == task_id)
            w.process->kill(killed_for_cancel);
    publish();
    for (pool_job& job : waiting) {
        running_call c{0, std::move(job)};
        finish(c, cancelled("cancelled"));
    }
}

void worker_pool::shutdown() {
    stopping_ = true;
    respawn_timer_.cancel();
    std::deque<pool_job> waiting;
    waiting.swap(queue_);
    for (auto& [id, w] : workers_)
        w.process->kill(killed_for_stop);
    publish();
    for (pool_job& job : waiting) {
        running_call c{0, std::move(job)};
        finish(c, cancelled("provider-python is stopping"));
    }
}

void worker_pool::on_line(std::uint64_t worker_id, std::string_view line) {
    auto it = workers_.find(worker_id);
    if (it == workers_.end())
        return;
    worker& w = it->second;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) {
        w.process->kill("it wrote a line that is not a JSON object");
        return;
    }
    const json::object& reply = v.get_object();
    if (!w.ready) {
        if (!reply.contains("ready")) {
            w.process->kill("it did not say it is ready");
            return;
        }
        w.ready = true;
        start_backoff_ = 0ms;
        dispatch();
        publish();
        return;
    }
    const json::value* id = reply.if_contains("id");
    if (!w.call || !id || !id->is_number() || id->to_number<std::uint64_t>() != w.call->request_id) {
        w.process->kill("it answered a request it was not given");
        return;
    }
    on_reply(w, reply);
}

void worker_pool::on_reply(worker& w, const json::object& reply) {
    w.deadline.reset();
    running_call c = std::move(*w.call);
    w.call.reset();
    const json::value* ok = reply.if_contains("ok");
    auto text = [&](const char* key) {
        const json::value* v = reply.if_contains(key);
        return v && v->is_string() ? json::value(v->get_string()) : json::value("");
    };
    job_outcome outcome;
    if (ok && ok->is_bool() && ok->get_bool()) {
        const json::value* result = reply.if_contains("result");
        outcome = json::object{{"result", result ? *result : json::value()},
                               {"stdout", text("stdout")},
                               {"stderr", text("stderr")}};
    } else {
        // The code raised: the traceback's last lines. The same code raises again.
        outcome = task_error{error_code::provider_error, std::string(text("error").as_string()), false};
    }
    // The gauges first: whoever gets the result sees the pool as it is after the call.
    dispatch();
    publish();
    finish(c, std::move(outcome));
}

void worker_pool::on_exit(std::uint64_t worker_id, int status, const std::string& why) {
    auto it = workers_.find(worker_id);
    if (it == workers_.end())
        return;
    worker w = std::move(it->second);
    workers_.erase(it);
    std::optional<task_error> failure;
    if (w.call)
        failure = exit_failure(w.call->job, status, why);
    if (!stopping_ && !w.ready) {
        std::string detail = why.empty() ? describe_status(status) : why;
        on_start_failure(detail + (w.stderr_tail.empty() ? "" : ": " + w.stderr_tail));
    } else if (!stopping_) {
        ++counts_.restarts_total;
        try {
            spawn_worker();
        } catch (const std::exception& e) {
            on_start_failure(e.what());
        }
    }
    dispatch();
    publish();
    if (failure)
        finish(*w.call, std::move(*failure));
}

void worker_pool::on_start_failure(const std::string& detail) {
    log_(log_level::error, "a python worker did not start (" + detail + ")");
    start_backoff_ = std::clamp(start_backoff_ * 2, std::chrono::milliseconds(100),
                                std::chrono::milliseconds(10000));
    schedule_spawn(start_backoff_);
    const bool any_ready =
        std::any_of(workers_.begin(), workers_.end(), [](const auto& kv) { return kv.second.ready; });
    if (any_ready)
        return;
    // Nobody could serve them until the cause is fixed: fail now, retryable, rather than let
    // them wait for the task timeout.
    std::deque<pool_job> waiting;
    waiting.swap(queue_);
    for (pool_job& job : waiting) {
        running_call c{0, std::move(job)};
        finish(c, task_error{error_code::provider_error,
                             c.job.method + ": no python worker could start (" + detail + ")", true});
    }
}

void worker_pool::schedule_spawn(std::chrono::milliseconds delay) {
    respawn_timer_.expires_after(delay);
    respawn_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopping_)
            return;
        while (workers_.size() < size_) {
            try {
                spawn_worker();
            } catch (const std::exception& e) {
                on_start_failure(e.what());
                break;
            }
        }
        publish();
    });
}

void worker_pool::dispatch() {
    while (!queue_.empty()) {
        auto idle = std::find_if(workers_.begin(), workers_.end(), [](const auto& kv) {
            return kv.second.ready && !kv.second.call;
        });
        if (idle == workers_.end())
            return;
        const std::uint64_t worker_id = idle->first;
        worker& w = idle->second;
        running_call c{++next_request_, std::move(queue_.front())};
        queue_.pop_front();
        json::object body = c.job.request;
        body["id"] = c.request_id;
        w.process->write(json::serialize(body) + "\n");
        if (c.job.timeout) {
            w.deadline = std::make_unique<boost::asio::steady_timer>(io_, *c.job.timeout);
            w.deadline->async_wait([this, worker_id, id = c.request_id](boost::system::error_code ec) {
                if (ec)
                    return;
                auto it = workers_.find(worker_id);
                if (it != workers_.end() && it->second.call && it->second.call->request_id == id)
                    it->second.process->kill(killed_for_timeout);
            });
        }
        w.call = std::move(c);
    }
}

void worker_pool::finish(running_call& c, job_outcome outcome) {
    auto done = std::move(c.job.finish);
    c.job.finish = nullptr;
    if (done)
        done(std::move(outcome));
}

void worker_pool::publish() {
    counts_.workers = workers_.size();
    counts_.busy = static_cast<std::size_t>(std::count_if(
        workers_.begin(), workers_.end(), [](const auto& kv) { return kv.second.call.has_value(); }));
    counts_.queued = queue_.size();
    if (gauges_)
        gauges_(counts_);
}

} // namespace gleitzeit::provider_python_detail
