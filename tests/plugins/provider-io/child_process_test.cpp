// provider-io's child_process with real programs (cat, sh, sleep): lines both ways, stderr,
// exit status, a start that fails with its reason, kill of the whole process group, resource
// limits as the child sees them, an over-long stdout line.

#include "child_process.hpp"
#include "io_thread.hpp"

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace pio = gleitzeit::provider_io;

namespace {

struct exit_info {
    int status = 0;
    std::string why;
};

// A child on an io_thread of its own, with what it printed collected under a lock: the
// callbacks run on the io thread, the assertions on the test's.
struct child_run {
    explicit child_run(pio::child_spec spec) {
        child = pio::child_process::spawn(
            io.context(), std::move(spec),
            [this](std::string_view line) {
                std::lock_guard lock(mutex);
                lines.emplace_back(line);
            },
            [this](std::string_view bytes) {
                std::lock_guard lock(mutex);
                err.append(bytes);
            },
            [this](int status, const std::string& why) { exited.set_value({status, why}); });
    }

    ~child_run() {
        if (child)
            child->kill("test over");
        io.stop();
    }

    exit_info wait_exit() {
        auto f = exited.get_future();
        BOOST_REQUIRE_MESSAGE(f.wait_for(10s) == std::future_status::ready, "the child did not exit");
        return f.get();
    }

    /// Waits until `count` lines came, or 10 s.
    std::vector<std::string> wait_lines(std::size_t count) {
        for (int i = 0; i < 1000; ++i) {
            {
                std::lock_guard lock(mutex);
                if (lines.size() >= count)
                    return lines;
            }
            std::this_thread::sleep_for(10ms);
        }
        std::lock_guard lock(mutex);
        return lines;
    }

    std::string stderr_text() {
        std::lock_guard lock(mutex);
        return err;
    }

    pio::io_thread io;
    std::mutex mutex;
    std::vector<std::string> lines;
    std::string err;
    std::promise<exit_info> exited;
    std::shared_ptr<pio::child_process> child;
};

pio::child_spec shell(const std::string& script) {
    pio::child_spec spec;
    spec.argv = {"sh", "-c", script};
    return spec;
}

std::string start_error(pio::child_spec spec) {
    pio::io_thread io;
    try {
        pio::child_process::spawn(io.context(), std::move(spec), {}, {}, {});
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "started";
}

// Gone, or a zombie waiting for init: either way it runs no more.
bool process_gone(int pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), {});
    auto close = content.rfind(')');
    return close != std::string::npos && content.size() > close + 2 && content[close + 2] == 'Z';
}

} // namespace

BOOST_AUTO_TEST_SUITE(child_process)

BOOST_AUTO_TEST_CASE(cat_echoes_lines_and_kill_reports_why) {
    pio::child_spec spec;
    spec.argv = {"cat"};
    child_run run(spec);
    run.child->write("hello\n");
    run.child->write("second line\r\nthird");
    run.child->write("\n");
    BOOST_TEST(run.wait_lines(3) == (std::vector<std::string>{"hello", "second line", "third"}),
               boost::test_tools::per_element());
    run.child->kill("no more input");
    exit_info e = run.wait_exit();
    BOOST_TEST(WIFSIGNALED(e.status));
    BOOST_TEST(WTERMSIG(e.status) == SIGKILL);
    BOOST_TEST(e.why == "no more input");
}

// kill() may land between a write's completion and its handler, or with writes queued
// behind one in flight: the buffers must outlive the write that reads them, and be freed
// once. Many rounds, since it is a race (it freed a buffer twice in about 1 of 10 before).
BOOST_AUTO_TEST_CASE(kill_with_writes_in_flight_frees_each_buffer_once) {
    for (int round = 0; round < 60; ++round) {
        pio::child_spec spec;
        spec.argv = {"cat"};
        child_run run(spec);
        for (int i = 0; i < 4; ++i)
            run.child->write(std::string(1000 + round * 100, 'x') + "\n");
        if (round % 2)
            std::this_thread::sleep_for(std::chrono::microseconds(round * 20));
        run.child->kill("round " + std::to_string(round));
        exit_info e = run.wait_exit();
        BOOST_TEST(e.why == "round " + std::to_string(round));
    }
}

BOOST_AUTO_TEST_CASE(stderr_and_exit_status) {
    child_run run(shell("echo out; echo oops >&2; printf 'last without newline'; exit 3"));
    exit_info e = run.wait_exit();
    BOOST_TEST(WIFEXITED(e.status));
    BOOST_TEST(WEXITSTATUS(e.status) == 3);
    BOOST_TEST(e.why == "");
    BOOST_TEST(run.stderr_text() == "oops\n");
    BOOST_TEST(run.wait_lines(2) == (std::vector<std::string>{"out", "last without newline"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(environment_and_working_directory) {
    pio::child_spec spec = shell("pwd; echo \"$GLEITZEIT_CHILD_TEST\"");
    spec.env = {{"GLEITZEIT_CHILD_TEST", "from the spec"}};
    spec.working_directory = "/tmp";
    child_run run(spec);
    BOOST_TEST(WEXITSTATUS(run.wait_exit().status) == 0);
    BOOST_TEST(run.wait_lines(2) == (std::vector<std::string>{"/tmp", "from the spec"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(without_inheritance_the_child_gets_only_its_own_environment) {
    ::setenv("GLEITZEIT_CHILD_SECRET", "hub only", 1);
    pio::child_spec spec;
    spec.argv = {"/bin/sh", "-c", "echo \"${GLEITZEIT_CHILD_SECRET:-unset}\" \"$ONLY\" \"${PATH:-no path}\""};
    spec.env = {{"ONLY", "this"}};
    spec.inherit_environment = false;
    child_run run(spec);
    BOOST_TEST(WEXITSTATUS(run.wait_exit().status) == 0);
    auto lines = run.wait_lines(1);
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(lines[0].starts_with("unset this "));
    // The same spec inheriting: the hub's variable comes through.
    spec.inherit_environment = true;
    child_run inherited(spec);
    BOOST_TEST(WEXITSTATUS(inherited.wait_exit().status) == 0);
    BOOST_TEST(inherited.wait_lines(1).at(0).starts_with("hub only this /"));
    ::unsetenv("GLEITZEIT_CHILD_SECRET");
}

BOOST_AUTO_TEST_CASE(start_failures_name_the_program_and_the_reason) {
    pio::child_spec missing;
    missing.argv = {"gleitzeit-no-such-program"};
    BOOST_TEST(start_error(missing) == "cannot start 'gleitzeit-no-such-program': not found in PATH");

    pio::child_spec absolute;
    absolute.argv = {"/nonexistent/gleitzeit-tool"};
    BOOST_TEST(start_error(absolute) ==
               "cannot start '/nonexistent/gleitzeit-tool': exec: No such file or directory");

    pio::child_spec bad_dir = shell("true");
    bad_dir.working_directory = "/nonexistent-dir";
    BOOST_TEST(start_error(bad_dir) ==
               "cannot start 'sh': working directory '/nonexistent-dir': No such file or directory");

    BOOST_TEST(start_error({}) == "cannot start a child process: no program given");
}

BOOST_AUTO_TEST_CASE(kill_ends_the_whole_process_group) {
    // The shell backgrounds a sleep and waits for it: killing only the shell would leave the
    // sleep running.
    child_run run(shell("sleep 300 & echo $!; wait"));
    auto lines = run.wait_lines(1);
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    int grandchild = std::stoi(lines[0]);
    BOOST_TEST(!process_gone(grandchild));
    run.child->kill("cancelled");
    exit_info e = run.wait_exit();
    BOOST_TEST(WTERMSIG(e.status) == SIGKILL);
    BOOST_TEST(e.why == "cancelled");
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
        gone = process_gone(grandchild);
        std::this_thread::sleep_for(10ms);
    }
    BOOST_TEST(gone);
}

BOOST_AUTO_TEST_CASE(limits_apply_in_the_child) {
    pio::child_spec spec = shell("ulimit -n; ulimit -c; ulimit -t; ulimit -v");
    spec.limits.open_files = 37;
    spec.limits.cpu_seconds = 9;
    spec.limits.address_space = 512ull << 20;
    child_run run(spec);
    BOOST_TEST(WEXITSTATUS(run.wait_exit().status) == 0);
    BOOST_TEST(run.wait_lines(4) == (std::vector<std::string>{"37", "0", "9", "524288"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(only_the_standard_fds_are_inherited) {
    // /proc/self/fd of ls lists 0, 1, 2 and the directory ls itself opened.
    child_run run(shell("ls /proc/$$/fd"));
    BOOST_TEST(WEXITSTATUS(run.wait_exit().status) == 0);
    BOOST_TEST(run.wait_lines(3) == (std::vector<std::string>{"0", "1", "2"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_over_long_line_kills_the_child) {
    pio::child_spec spec = shell("head -c 5000 /dev/zero | tr '\\0' a; sleep 300");
    spec.max_line = 1000;
    child_run run(spec);
    exit_info e = run.wait_exit();
    BOOST_TEST(WIFSIGNALED(e.status));
    BOOST_TEST(WTERMSIG(e.status) == SIGKILL);
    BOOST_TEST(e.why == "stdout line over 1000 bytes");
    BOOST_TEST(run.wait_lines(0).empty());
}

BOOST_AUTO_TEST_CASE(writing_to_a_child_that_closed_stdin_does_not_signal_the_hub) {
    // Without MSG_NOSIGNAL this write would raise SIGPIPE and end the test executable.
    child_run run(shell("exec 0<&-; echo closed; sleep 300"));
    BOOST_TEST(run.wait_lines(1).size() == 1u);
    run.child->write(std::string(1 << 20, 'x'));
    run.child->write("more\n");
    std::this_thread::sleep_for(50ms);
    run.child->kill("done");
    BOOST_TEST(run.wait_exit().why == "done");
}

BOOST_AUTO_TEST_SUITE_END()
