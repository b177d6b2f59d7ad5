#include "child_launch.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace gleitzeit::provider_io::detail {
namespace {

// What the child reports through the status pipe when a step before exec fails. The parent
// turns it into the message; the child only writes two ints (async-signal-safe).
enum class launch_step : int { chdir, limits, exec };

struct launch_report {
    launch_step step;
    int error;
};

const char* to_string(launch_step s) {
    switch (s) {
    case launch_step::chdir: return "working directory";
    case launch_step::limits: return "resource limits";
    case launch_step::exec: return "exec";
    }
    return "start";
}

[[noreturn]] void fail(const child_spec& spec, const std::string& what) {
    throw std::runtime_error("cannot start '" + (spec.argv.empty() ? std::string{} : spec.argv[0]) +
                             "': " + what);
}

std::string env_value(const child_spec& spec, const std::string& name) {
    for (const auto& [k, v] : spec.env)
        if (k == name)
            return v;
    const char* hub = spec.inherit_environment ? std::getenv(name.c_str()) : nullptr;
    return hub ? hub : "";
}

bool is_executable_file(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// PATH is searched here, in the parent, because execvp may allocate, which a child forked
// from a threaded process must not do before exec.
std::string resolve_program(const child_spec& spec) {
    const std::string& program = spec.argv[0];
    if (program.find('/') != std::string::npos)
        return program;
    std::string path = env_value(spec, "PATH");
    if (path.empty())
        path = "/usr/local/bin:/usr/bin:/bin";
    std::size_t begin = 0;
    while (begin <= path.size()) {
        std::size_t end = path.find(':', begin);
        if (end == std::string::npos)
            end = path.size();
        std::string dir = path.substr(begin, end - begin);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
        if (is_executable_file(candidate))
            return candidate;
        begin = end + 1;
    }
    fail(spec, "not found in PATH");
}

std::vector<std::string> build_environment(const child_spec& spec) {
    std::vector<std::string> out;
    for (char** e = spec.inherit_environment ? environ : nullptr; e && *e; ++e) {
        std::string_view entry(*e);
        std::string_view name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& [k, v] : spec.env)
            replaced = replaced || name == k;
        if (!replaced)
            out.emplace_back(entry);
    }
    for (const auto& [k, v] : spec.env)
        out.push_back(k + "=" + v);
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

struct limit_setting {
    int resource;
    rlimit value;
};

// The hard limit stays where it is when it is lower already: an unprivileged hub cannot raise
// it, and the soft limit is what the child feels.
void add_limit(std::vector<limit_setting>& out, int resource, rlim_t soft, rlim_t hard) {
    rlimit current{};
    ::getrlimit(resource, &current);
    if (current.rlim_max != RLIM_INFINITY && hard > current.rlim_max)
        hard = current.rlim_max;
    if (soft > hard)
        soft = hard;
    out.push_back({resource, {soft, hard}});
}

std::vector<limit_setting> build_limits(const child_limits& l) {
    std::vector<limit_setting> out;
    // The hard CPU limit one second later: SIGXCPU first, then SIGKILL if it is caught.
    if (l.cpu_seconds)
        add_limit(out, RLIMIT_CPU, *l.cpu_seconds, *l.cpu_seconds + 1);
    if (l.address_space)
        add_limit(out, RLIMIT_AS, *l.address_space, *l.address_space);
    if (l.open_files)
        add_limit(out, RLIMIT_NOFILE, *l.open_files, *l.open_files);
    if (!l.core_dumps)
        out.push_back({RLIMIT_CORE, {0, 0}});
    return out;
}

void put_on(int fd, int target) {
    if (fd == target)
        ::fcntl(fd, F_SETFD, 0); // dup2 onto itself would leave FD_CLOEXEC set
    else
        ::dup2(fd, target);
}

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void run_child(int in, int out, int err, int status_fd, const char* dir,
                            const std::vector<limit_setting>& limits, const char* program,
                            char* const* argv, char* const* envp) {
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
        ::signal(sig, SIG_DFL);
    put_on(in, 0);
    put_on(out, 1);
    put_on(err, 2);
    // Every other fd of the hub goes, whoever opened it without O_CLOEXEC. The status pipe
    // stays: it closes itself at exec.
    if (status_fd > 3 && ::close_range(3, status_fd - 1, 0) != 0)
        for (int fd = 3; fd < status_fd; ++fd)
            ::close(fd);
    if (::close_range(status_fd + 1, ~0u, 0) != 0)
        for (int fd = status_fd + 1; fd < 65536; ++fd)
            ::close(fd);
    launch_report report{launch_step::exec, 0};
    if (dir && ::chdir(dir) != 0) {
        report = {launch_step::chdir, errno};
    } else {
        for (const auto& l : limits)
            if (::setrlimit(l.resource, &l.value) != 0) {
                report = {launch_step::limits, errno};
                break;
            }
        if (report.error == 0) {
            ::execve(program, argv, envp);
            report = {launch_step::exec, errno};
        }
    }
    [[maybe_unused]] auto n = ::write(status_fd, &report, sizeof report);
    ::_exit(127);
}

struct fd_pair {
    int read = -1;
    int write = -1;
};

void close_fd(int& fd) {
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

} // namespace

launched_child launch_child(const child_spec& spec) {
    if (spec.argv.empty())
        throw std::runtime_error("cannot start a child process: no program given");
    std::string program = resolve_program(spec);
    std::vector<std::string> args = spec.argv;
    std::vector<std::string> env = build_environment(spec);
    std::vector<char*> argv = pointers(args);
    std::vector<char*> envp = pointers(env);
    std::vector<limit_setting> limits = build_limits(spec.limits);
    const char* dir = spec.working_directory.empty() ? nullptr : spec.working_directory.c_str();

    // stdin is a socket, not a pipe: Asio writes to sockets with MSG_NOSIGNAL, so a child
    // that closed its stdin gives the hub EPIPE instead of a SIGPIPE that would end it (the
    // hub does not ignore SIGPIPE). libuv does the same for Node's children.
    int in[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
        fail(spec, std::string("socketpair: ") + std::strerror(errno));
    fd_pair out, err, status;
    int p[2];
    auto make_pipe = [&](fd_pair& fp) {
        if (::pipe2(p, O_CLOEXEC) != 0)
            return false;
        fp = {p[0], p[1]};
        return true;
    };
    if (!make_pipe(out) || !make_pipe(err) || !make_pipe(status)) {
        int e = errno;
        for (int* fd : {&in[0], &in[1], &out.read, &out.write, &err.read, &err.write,
                        &status.read, &status.write})
            close_fd(*fd);
        fail(spec, std::string("pipe: ") + std::strerror(e));
    }
    pid_t pid = ::fork();
    if (pid == 0)
        run_child(in[1], out.write, err.write, status.write, dir, limits, program.c_str(),
                  argv.data(), envp.data());
    int fork_error = errno;
    close_fd(in[1]);
    close_fd(out.write);
    close_fd(err.write);
    close_fd(status.write);
    launch_report report{launch_step::exec, 0};
    ssize_t got = 0;
    if (pid > 0) {
        do
            got = ::read(status.read, &report, sizeof report);
        while (got < 0 && errno == EINTR);
    }
    close_fd(status.read);
    if (pid > 0 && got == 0) // the exec closed the status pipe: the program runs
        return {pid, in[0], out.read, err.read};
    if (pid > 0) {
        int ignored = 0;
        while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
        }
    }
    close_fd(in[0]);
    close_fd(out.read);
    close_fd(err.read);
    if (pid < 0)
        fail(spec, std::string("fork: ") + std::strerror(fork_error));
    std::string where = to_string(report.step);
    if (report.step == launch_step::chdir)
        where += " '" + spec.working_directory + "'";
    fail(spec, where + ": " + std::strerror(report.error));
}

} // namespace gleitzeit::provider_io::detail
