#include "child_process.hpp"

#include "child_launch.hpp"
#include "stream_lines.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <deque>
#include <iterator>
#include <sys/wait.h>
#include <vector>

namespace gleitzeit::provider_io {

child_process::~child_process() = default;

namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

// One running child. Every member is touched on the io_context's thread only: write() and
// kill() post there. Pending reads and writes hold a shared_ptr, so the object lives until
// the child is reaped and its pipes are done, whoever else lets go of it.
class running_child final : public child_process {
public:
    running_child(asio::io_context& io, const child_spec& spec, detail::launched_child c,
                  line_fn on_stdout, bytes_fn on_stderr, exit_fn on_exit)
        : io_(io), stdin_(io, asio::local::stream_protocol(), c.stdin_fd),
          stdout_(io, c.stdout_fd), stderr_(io, c.stderr_fd), reap_timer_(io), pid_(c.pid),
          max_line_(spec.max_line), lines_(spec.max_line), on_stdout_(std::move(on_stdout)),
          on_stderr_(std::move(on_stderr)), on_exit_(std::move(on_exit)),
          out_buf_(64 * 1024), err_buf_(64 * 1024) {}

    ~running_child() override {
        // Only reached with the child still unreaped when the io_context went away with our
        // reads pending: end it rather than leave it running or a zombie.
        if (!wait_status_) {
            ::kill(-pid_, SIGKILL);
            int st = 0;
            while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
            }
        }
    }

    void start() {
        asio::post(io_, [self = self()] {
            self->read_stdout();
            self->read_stderr();
        });
    }

    void write(std::string bytes) override {
        asio::post(io_, [self = self(), bytes = std::move(bytes)]() mutable {
            if (self->stdin_closed_ || self->wait_status_)
                return;
            self->writes_.push_back(std::move(bytes));
            if (!self->writing_)
                self->write_next();
        });
    }

    void kill(std::string why) override {
        asio::post(io_, [self = self(), why = std::move(why)]() mutable {
            self->kill_now(std::move(why));
        });
    }

    int pid() const noexcept override { return pid_; }

private:
    std::shared_ptr<running_child> self() {
        return std::static_pointer_cast<running_child>(shared_from_this());
    }

    void read_stdout() {
        stdout_.async_read_some(asio::buffer(out_buf_), [self = self()](error_code ec, std::size_t n) {
            self->on_stdout_bytes(ec, n);
        });
    }

    void on_stdout_bytes(error_code ec, std::size_t n) {
        if (!ec && !killed_) {
            bool fits = lines_.feed({out_buf_.data(), n}, [this](std::string_view line) {
                if (!killed_ && on_stdout_)
                    on_stdout_(line);
            });
            if (!fits)
                kill_now("stdout line over " + std::to_string(max_line_) + " bytes");
        }
        if (!ec && !reported_) {
            read_stdout();
            return;
        }
        // End of the stream: a last line without a newline is still a line.
        if (!killed_ && !lines_.rest().empty() && on_stdout_) {
            std::string last = lines_.rest();
            lines_ = line_splitter(max_line_);
            on_stdout_(last);
        }
        stdout_open_ = false;
        try_reap();
    }

    void read_stderr() {
        stderr_.async_read_some(asio::buffer(err_buf_), [self = self()](error_code ec, std::size_t n) {
            if (!ec && !self->killed_ && self->on_stderr_)
                self->on_stderr_({self->err_buf_.data(), n});
            if (!ec && !self->reported_) {
                self->read_stderr();
                return;
            }
            self->stderr_open_ = false;
            self->try_reap();
        });
    }

    void write_next() {
        writing_ = true;
        asio::async_write(stdin_, asio::buffer(writes_.front()),
                          [self = self()](error_code ec, std::size_t) {
                              self->writing_ = false;
                              // The child closed its stdin or is gone; or kill() closed it
                              // after this write was done but before this handler ran.
                              if (ec || self->stdin_closed_) {
                                  self->close_stdin();
                                  return;
                              }
                              self->writes_.pop_front();
                              if (!self->writes_.empty())
                                  self->write_next();
                          });
    }

    void close_stdin() {
        // A write in flight reads the front buffer until its handler has run.
        if (writing_)
            writes_.erase(std::next(writes_.begin()), writes_.end());
        else
            writes_.clear();
        stdin_closed_ = true;
        error_code ignored;
        stdin_.close(ignored);
    }

    void kill_now(std::string why) {
        // Once reaped, the pid may belong to someone else: never signal it again.
        if (reported_ || wait_status_)
            return;
        if (!killed_) {
            killed_ = true;
            why_ = std::move(why);
            ::kill(-pid_, SIGKILL);
        }
        close_stdin();
        try_reap();
    }

    // There is no SIGCHLD handler (the hub owns signals), so the child is reaped by polling
    // waitpid once its pipes are closed, or once it was killed: a process it forked that
    // left the group may keep the pipes open, and then they are closed here.
    void try_reap() {
        if (reported_ || reaping_)
            return;
        if ((stdout_open_ || stderr_open_) && !killed_)
            return;
        if (!wait_status_) {
            int st = 0;
            pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == 0 || (r < 0 && errno == EINTR)) {
                schedule_reap();
                return;
            }
            // ECHILD: someone set SIGCHLD to SIG_IGN and the kernel reaped it.
            wait_status_ = r == pid_ ? st : (killed_ ? SIGKILL : 0);
        }
        if (killed_) {
            error_code ignored;
            stdout_.close(ignored);
            stderr_.close(ignored);
        } else if (stdout_open_ || stderr_open_) {
            return;
        }
        report_exit();
    }

    void schedule_reap() {
        reaping_ = true;
        reap_delay_ = std::min(reap_delay_ * 2, std::chrono::milliseconds(100));
        reap_timer_.expires_after(reap_delay_);
        reap_timer_.async_wait([self = self()](error_code) {
            self->reaping_ = false;
            self->try_reap();
        });
    }

    void report_exit() {
        reported_ = true;
        close_stdin();
        // The callbacks may hold the owner, which may hold this: drop them to break the cycle.
        on_stdout_ = nullptr;
        on_stderr_ = nullptr;
        exit_fn done = std::move(on_exit_);
        on_exit_ = nullptr;
        if (done)
            done(*wait_status_, why_);
    }

    asio::io_context& io_;
    asio::local::stream_protocol::socket stdin_;
    asio::posix::stream_descriptor stdout_;
    asio::posix::stream_descriptor stderr_;
    asio::steady_timer reap_timer_;
    std::chrono::milliseconds reap_delay_{1};
    int pid_;
    std::size_t max_line_;
    line_splitter lines_;
    line_fn on_stdout_;
    bytes_fn on_stderr_;
    exit_fn on_exit_;
    std::vector<char> out_buf_;
    std::vector<char> err_buf_;
    std::deque<std::string> writes_;
    bool stdin_closed_ = false;
    bool writing_ = false; // an async_write of writes_.front() is in flight
    bool stdout_open_ = true;
    bool stderr_open_ = true;
    bool killed_ = false;
    bool reaping_ = false;
    bool reported_ = false;
    std::optional<int> wait_status_;
    std::string why_;
};

} // namespace

std::shared_ptr<child_process> child_process::spawn(asio::io_context& io, child_spec spec,
                                                    line_fn on_stdout, bytes_fn on_stderr,
                                                    exit_fn on_exit) {
    detail::launched_child c = detail::launch_child(spec);
    auto child = std::make_shared<running_child>(io, spec, c, std::move(on_stdout),
                                                 std::move(on_stderr), std::move(on_exit));
    child->start();
    return child;
}

} // namespace gleitzeit::provider_io
