#pragma once
// Starting a child process (child_process.hpp): the fork and exec, apart from the I/O that
// drives it afterwards. Internal to provider-io.

#include "child_process.hpp"

namespace gleitzeit::provider_io::detail {

/// The parent's ends of a started child's standard streams; the caller owns the fds.
struct launched_child {
    int pid = -1;
    int stdin_fd = -1;  // a socket (see child_launch.cpp for why), write end
    int stdout_fd = -1; // read end of a pipe
    int stderr_fd = -1; // read end of a pipe
};

/// Forks and execs spec.argv in a session of its own (setsid), with spec's environment,
/// working directory and limits, every other fd closed. Returns once the exec succeeded;
/// throws std::runtime_error naming argv[0] and the step that failed otherwise.
launched_child launch_child(const child_spec& spec);

} // namespace gleitzeit::provider_io::detail
