#include "provider_python.hpp"

#include "python_protocol.hpp"
#include "worker_pool.hpp"

#include "io_thread.hpp"
#include "provider_python_worker.hpp" // generated from worker.py (CMakeLists.txt)

#include "gleitzeit/error.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdlib>
#include <future>
#include <utility>

namespace gleitzeit {

namespace json = boost::json;
using namespace provider_python_detail;
using steady_clock = std::chrono::steady_clock;

namespace {

// A reply carries the result (up to this) and both outputs, each at most max_output bytes
// that JSON may escape to six times their size.
constexpr std::size_t max_result_bytes = 16u << 20;

// What the workers get of the hub's environment: what finding programs, text encoding, time
// and temporary files need.
constexpr const char* passed_on[] = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"};

std::size_t max_reply(const python_config& c) {
    return max_result_bytes + 12 * c.max_output + 4096;
}

provider_io::child_spec worker_spec(const python_config& c) {
    json::array module_dirs;
    for (const auto& d : c.script_dirs)
        module_dirs.emplace_back(d.string());
    json::object settings{{"max_output", c.max_output},
                          {"max_reply", max_reply(c)},
                          {"cpu_seconds", c.cpu_seconds},
                          {"module_dirs", std::move(module_dirs)}};
    provider_io::child_spec spec;
    // -I: no user site, no PYTHON* variables, no script directory on sys.path; -u: unbuffered.
    spec.argv = {c.python, "-I", "-u", "-c", std::string(worker_source), json::serialize(settings)};
    // Not the hub's whole environment: it may hold other providers' secrets (API keys).
    spec.inherit_environment = false;
    spec.env = c.environment;
    for (const char* name : passed_on) {
        bool set_by_config = false;
        for (const auto& kv : c.environment)
            set_by_config = set_by_config || kv.first == name;
        if (const char* value = std::getenv(name); value && !set_by_config)
            spec.env.emplace_back(name, value);
    }
    spec.working_directory = c.working_directory.string();
    spec.limits.address_space = c.memory_mb << 20;
    spec.limits.open_files = c.open_files;
    spec.limits.core_dumps = false;
    // RLIMIT_CPU is not set here: worker.py moves it on before each call.
    spec.max_line = max_reply(c) + 1024;
    return spec;
}

} // namespace

provider_python::provider_python(const json::object& config)
    : config_(read_config(config)), link_(std::make_shared<host_link>()) {}

provider_python::~provider_python() {
    // Destroyed without stop(): the hub is tearing the generation down, and its host must
    // not be touched any more (a post would find the generation half gone). Open calls are
    // dropped, as the hub drops them.
    {
        std::lock_guard lock(link_->mutex);
        link_->h = nullptr;
        link_->deliver = false;
    }
    shut_down();
}

void provider_python::start(host& h) {
    host_ = &h;
    {
        std::lock_guard lock(link_->mutex);
        link_->h = &h;
    }
    io_ = std::make_unique<provider_io::io_thread>();
    // From the io thread to the host only through the link, which stop() cuts first.
    auto gauges = [link = link_](const pool_gauges& g) {
        std::lock_guard lock(link->mutex);
        if (host* hp = link->h)
            hp->post([hp, g] {
                hp->metric("workers", static_cast<double>(g.workers));
                hp->metric("busy", static_cast<double>(g.busy));
                hp->metric("queued", static_cast<double>(g.queued));
                hp->metric("calls_total", static_cast<double>(g.calls_total));
                hp->metric("restarts_total", static_cast<double>(g.restarts_total));
            });
    };
    auto log = [link = link_](log_level level, std::string message) {
        std::lock_guard lock(link->mutex);
        if (host* hp = link->h)
            hp->post([hp, level, message = std::move(message)] { hp->log(level, message); });
    };
    pool_ = std::make_unique<worker_pool>(io_->context(), worker_spec(config_), config_.workers,
                                          std::move(gauges), std::move(log));
    // The pool lives on the io thread; start it there and wait, so a missing interpreter
    // refuses the load.
    std::promise<void> started;
    boost::asio::post(io_->context(), [this, &started] {
        try {
            pool_->start();
            started.set_value();
        } catch (...) {
            started.set_exception(std::current_exception());
        }
    });
    try {
        started.get_future().get();
    } catch (const std::exception& e) {
        shut_down();
        throw error(error_code::plugin_error,
                    std::string(plugin_name) + ": cannot start python workers: " + e.what());
    }
    host_->log(log_level::info, std::string("serving ") + protocol_id + " with " +
                                    std::to_string(config_.workers) + " workers of " +
                                    config_.python);
}

void provider_python::stop() {
    stopped_ = true;
    {
        // What the host still gets are the dones, which the hub awaits; not gauges or logs.
        std::lock_guard lock(link_->mutex);
        link_->h = nullptr;
    }
    shut_down();
    host_ = nullptr;
}

void provider_python::shut_down() {
    if (!io_)
        return;
    if (pool_)
        boost::asio::post(io_->context(), [pool = pool_.get()] { pool->shutdown(); });
    // Runs until every worker is reaped and every open call has its done.
    io_->stop();
    pool_.reset();
    io_.reset();
}

std::vector<protocol_spec> provider_python::protocols() const {
    return {python_spec()};
}

std::size_t provider_python::max_concurrency() const {
    return config_.workers + config_.max_queued;
}

void provider_python::execute(method_call call, done_fn done) {
    const auto started = steady_clock::now();
    task_result r;
    r.task_id = call.task_id;
    r.provider = plugin_name;
    if (stopped_ || !host_ || !pool_) {
        // Nothing posted now would run (the host drops posts after stop): answer at once.
        r.error = stopped_ ? task_error{error_code::cancelled, "provider-python is stopped", false}
                           : task_error{error_code::plugin_error, "provider-python is not started", false};
        done(std::move(r));
        return;
    }
    worker_request request;
    try {
        request = make_request(config_, call);
    } catch (const error& e) {
        r.error = task_error{e.code(), e.what(), false};
        host_->post([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
        return;
    }
    auto finish = [done = std::move(done), r = std::move(r), started,
                   link = link_](job_outcome outcome) mutable {
        {
            std::lock_guard lock(link->mutex);
            if (!link->deliver)
                return;
        }
        if (auto* value = std::get_if<json::object>(&outcome))
            r.result = json::value(std::move(*value));
        else
            r.error = std::get<task_error>(std::move(outcome));
        r.duration_ms =
            std::chrono::duration<double, std::milli>(steady_clock::now() - started).count();
        try {
            done(std::move(r));
        } catch (...) {
            // Runs on the io thread: an exception escaping run() there would end the hub.
        }
    };
    pool_job job{call.task_id, call.method, std::move(request.body), request.timeout,
                 std::move(finish)};
    boost::asio::post(io_->context(), [pool = pool_.get(), job = std::move(job)]() mutable {
        pool->submit(std::move(job));
    });
}

void provider_python::cancel(const std::string& task_id) {
    if (stopped_ || !pool_)
        return;
    boost::asio::post(io_->context(), [pool = pool_.get(), task_id] { pool->cancel(task_id); });
}

} // namespace gleitzeit
