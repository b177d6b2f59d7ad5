#pragma once
// provider-python: the provider of python/v1. Runs Python code in a pool of warm python3
// worker processes (worker.py, embedded at build time, started as `python3 -I -u -c <source>`)
// that speak JSON lines over pipes: no interpreter starts per call.
//
// Methods (schemas in python_protocol.cpp; the result of both is {result, stdout, stderr}):
//   execute {code: str | file: str | file_path: str,   runs inline code, or a script inside
//            context: object = {}, timeout: seconds}   script_dirs, with `context` in scope;
//                                                       result: what it left in `result`
//   call    {function: "module:function",             calls a function of a module in
//            args: array = [], kwargs: object = {},     allowed_modules (or inside one:
//            timeout: seconds}                           "json.decoder" is inside "json")
// stdout and stderr are what the code wrote to fds 1 and 2 (print, os.write, subprocesses),
// each cut at max_output bytes with a note of the full size.
//
// Errors (task_error):
//   invalid_argument, not retryable: params that break the rules (not exactly one of
//     code/file/file_path, a script outside script_dirs by ".." or a symlink, or missing, a
//     module not allowed, a bad function name, an unknown param)
//   not_found, not retryable: an unknown method or protocol
//   provider_error, not retryable: the code raised; the message is the traceback's last lines
//     (down to "ValueError: ..."); also a result that is not JSON, or a reply over the limit
//   provider_error, retryable: the worker died under the call (os._exit, a segfault, killed
//     by cpu_seconds or memory); only that call fails, a fresh worker replaces it. Also: no
//     worker could start at all.
//   timeout, retryable: the call ran past its timeout (params.timeout, else the task's); its
//     worker was killed with its process group and replaced
//   cancelled, not retryable: cancel() or stop()
//
// Config (the [providers.config] table, as JSON), refused in the constructor with
// gleitzeit::error(invalid_argument, "provider-python: <key> ...") for an unknown key or a
// bad value:
//   python            string, default "python3": the interpreter (PATH is searched)
//   workers           integer 1..64, default 2: warm worker processes
//   max_queued        integer 0..10000, default 64: calls waiting beyond the workers;
//                     max_concurrency() is workers + max_queued
//   cpu_seconds       integer 1..86400, default 60: CPU time of one call (RLIMIT_CPU, moved
//                     on before each call, since the limit counts a process's whole life)
//   memory_mb         integer 64..1048576, default 1024: RLIMIT_AS of each worker
//   open_files        integer 16..65536, default 256: RLIMIT_NOFILE of each worker
//   max_output        integer 0..67108864, default 1048576: bytes of stdout and of stderr kept
//   working_directory string, default the system temp directory: the workers' cwd
//   script_dirs       array of directories, default []: where execute's scripts may be; also
//                     put first on the workers' sys.path, for `call`
//   allowed_modules   array of module names, default []: what `call` may import
//   environment       table of strings, default {}: variables for the workers. Of the hub's
//                     own environment they get only PATH, HOME, LANG, LC_ALL, LC_CTYPE, TZ
//                     and TMPDIR, since it may hold other providers' secrets
// No core dumps (RLIMIT_CORE 0).
//
// Threading. The workers and the calls' bookkeeping live on an io_thread of the provider's
// own (worker_pool.hpp), never on the hub's io_context. execute() checks the params on the
// slot strand and posts the call to the io thread; a refused call's done is posted through
// host::post(), never run inside execute(). Results come to `done` on the io thread.
// cancel() posts to the io thread. stop() shuts the pool down there (every open call gets
// `cancelled`, every worker is SIGKILLed with its process group and reaped) and then stops
// and joins the io thread, so no handler of this library runs after stop() returned.
// Destroyed without stop() (the hub tearing down), it does the same but touches nothing of
// the host: open calls are dropped, as the hub drops them then.
//
// Metrics (host::metric, posted to the strand): workers, busy, queued, calls_total,
// restarts_total. Stateless: a hot swap lets the old generation drain.

#include "python_config.hpp"

#include "gleitzeit/provider.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gleitzeit::provider_io {
class io_thread;
}

namespace gleitzeit::provider_python_detail {
class worker_pool;
}

namespace gleitzeit {

class provider_python : public provider {
public:
    /// Throws gleitzeit::error(invalid_argument) for a config it does not accept.
    explicit provider_python(const boost::json::object& config);
    ~provider_python() override;

    /// Starts the workers; throws gleitzeit::error(plugin_error) if the interpreter cannot
    /// be started.
    void start(host& h) override;
    void stop() override;

    std::vector<protocol_spec> protocols() const override;
    std::size_t max_concurrency() const override;
    void execute(method_call call, done_fn done) override;
    void cancel(const std::string& task_id) override;

private:
    /// What the io thread may reach of the host. Cut (h null) before the pool shuts down:
    /// in stop(), gauges and logs are no longer wanted; in the destructor nothing of the host
    /// may be touched, not even the dones (deliver false).
    struct host_link {
        std::mutex mutex;
        host* h = nullptr;
        bool deliver = true;
    };

    void shut_down();

    provider_python_detail::python_config config_;
    host* host_ = nullptr;
    bool stopped_ = false;
    std::unique_ptr<provider_io::io_thread> io_;
    std::unique_ptr<provider_python_detail::worker_pool> pool_;
    std::shared_ptr<host_link> link_;
};

} // namespace gleitzeit
