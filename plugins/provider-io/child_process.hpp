#pragma once
// A child process with pipes to its stdin, stdout and stderr, driven by an io_context
// (io_thread.hpp): python/v1's workers and mcp/v1's stdio servers. The child runs in a
// process group of its own, under resource limits, so that kill() ends it and everything it
// forked. Its stdin is a Unix socket rather than a pipe: writing to a child that closed it
// must not raise SIGPIPE in the hub (child_launch.cpp).

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::provider_io {

struct child_limits {
    std::optional<std::uint64_t> cpu_seconds;   // RLIMIT_CPU
    std::optional<std::uint64_t> address_space; // RLIMIT_AS, bytes
    std::optional<std::uint64_t> open_files;    // RLIMIT_NOFILE
    bool core_dumps = false;                    // RLIMIT_CORE 0 unless true
};

struct child_spec {
    std::vector<std::string> argv; // argv[0] is looked up in PATH when it has no '/'
    /// Added to (or replacing in) the hub's environment.
    std::vector<std::pair<std::string, std::string>> env;
    /// False: the child gets `env` and nothing of the hub's environment (which may hold
    /// secrets, e.g. API keys, that the child's code should not read).
    bool inherit_environment = true;
    std::string working_directory; // empty: the hub's
    child_limits limits;
    std::size_t max_line = 16u << 20; // a longer stdout line kills the child
};

class child_process : public std::enable_shared_from_this<child_process> {
public:
    using line_fn = std::function<void(std::string_view line)>;  // stdout, one line at a time
    using bytes_fn = std::function<void(std::string_view bytes)>; // stderr as it comes
    /// Once, after the child is gone and its stdout is read to the end: the wait status
    /// (WIFEXITED, ...), and why it was ended if this side ended it ("" otherwise).
    using exit_fn = std::function<void(int wait_status, const std::string& why)>;

    /// Starts the child. Throws std::runtime_error naming argv[0] if it cannot start (no
    /// such program, not executable, a bad working directory). Callbacks run on `io`.
    static std::shared_ptr<child_process> spawn(boost::asio::io_context& io, child_spec spec,
                                                line_fn on_stdout, bytes_fn on_stderr,
                                                exit_fn on_exit);
    virtual ~child_process();

    /// Queues bytes for the child's stdin. Thread-safe.
    virtual void write(std::string bytes) = 0;
    /// SIGKILLs the child's process group; on_exit follows with `why`. Thread-safe.
    virtual void kill(std::string why) = 0;
    virtual int pid() const noexcept = 0;
};

} // namespace gleitzeit::provider_io
