#pragma once
// Shared pieces of the C++ client's interop tests: server processes started on port 0 and
// stopped on every path out of a test, an io_context on its own thread, and a thread-safe
// log of what a client heard, with bounded waits on it.

#include "sio/client/client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace interop {

namespace sio = gleitzeit::sio;
namespace json = boost::json;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

/// The value of environment variable `name`; throws when ctest did not set it.
std::string env(const char* name);

/// A server process: started from `argv` (argv[0] an absolute path), ready once it printed
/// "listening on HOST:PORT". The destructor stops it, so a failing test leaves none behind;
/// the child also dies with the test process (PR_SET_PDEATHSIG) should that crash.
class server_process {
public:
    explicit server_process(std::vector<std::string> argv);
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    /// Sends `sig`, waits up to `grace` for the exit, then SIGKILLs. Returns the wait status
    /// (or -1 when it was already stopped). Idempotent.
    int stop(int sig = SIGTERM, std::chrono::milliseconds grace = 3000ms);
    /// True when a SIGTERM stop ends in exit code 0, which is how our servers (and a
    /// sanitizer build of them) report a clean shutdown.
    bool stop_clean();

private:
    void drain(); // copies the server's later output to our stderr

    std::string name_;
    pid_t pid_ = -1;
    int out_ = -1;
    std::uint16_t port_ = 0;
    std::thread drainer_;
    std::atomic<bool> stopping_{false};
};

std::unique_ptr<server_process> start_reference(std::uint16_t port = 0);
std::unique_ptr<server_process> start_fixture(std::uint16_t port = 0);
/// gleitzeitd with `toml` written to a temporary config file.
std::unique_ptr<server_process> start_gleitzeitd(const std::string& toml, std::uint16_t port = 0);
/// A port where nothing listens (bound once, then released).
std::uint16_t dead_port();

/// An io_context running on its own thread. The destructor lets what was posted before it
/// (a client's close) run for a moment, then stops the loop and joins the thread.
struct loop {
    loop();
    ~loop();
    boost::asio::io_context ioc;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
    std::thread thread;
};

struct status_record {
    sio::client_event e;
    clock::time_point at;
};
struct event_record {
    std::string nsp;
    std::string event;
    sio::message m;
};

/// What one client heard: its status events and the socket events it listens to.
class recorder {
public:
    void watch(sio::client& c);
    /// Records `event` on `s` (without acking).
    void listen(sio::namespace_handle& s, const std::string& event);
    void add(event_record r);

    /// Waits until `pred(statuses, events)` holds, at most `timeout`. The predicate runs
    /// under the recorder's lock.
    template <class Pred> bool wait(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return pred(statuses_, events_); });
    }
    /// Waits for the n-th status of `what` (for `nsp`, unless empty).
    bool wait_status(sio::client_event::kind what, const std::string& nsp = "", std::size_t n = 1,
                     std::chrono::milliseconds timeout = 5000ms);
    /// Waits for the n-th `event` on `nsp`.
    bool wait_event(const std::string& nsp, const std::string& event, std::size_t n = 1,
                    std::chrono::milliseconds timeout = 5000ms);

    std::vector<status_record> statuses() const;
    std::vector<sio::client_event> statuses_of(sio::client_event::kind what,
                                               const std::string& nsp = "") const;
    std::vector<sio::message> events_of(const std::string& nsp, const std::string& event) const;
    /// One line per status, for failure messages.
    std::string describe() const;

private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<status_record> statuses_;
    std::vector<event_record> events_;
};

std::size_t count_status(const std::vector<status_record>& s, sio::client_event::kind what,
                         const std::string& nsp = "");
const char* kind_name(sio::client_event::kind k);

/// Emits `event` asking for an ack within `timeout`; waits (bounded) for the reply handler
/// and returns what it got (nullopt: the client reported no ack in time).
std::optional<sio::message> ask(sio::namespace_handle& s, const std::string& event, sio::message m,
                                std::chrono::milliseconds timeout = 5000ms);

/// The message's arguments with every placeholder replaced by {"bytes": "<hex>"} of its
/// attachment, so that two messages compare by content whatever their numbering.
json::value resolved(const sio::message& m);
std::string hex(const std::string& bytes);
/// `n` bytes derived from `seed`, covering 0x00 and 0xff and invalid UTF-8.
std::string bytes(std::size_t n, unsigned seed);

struct client_handle {
    sio::client& c;
    recorder& rec;
};

/// One test's world. Members are destroyed in reverse: the clients first (their close is
/// posted), then the loop (which lets the close run, with the recorders still alive), then
/// the server process.
struct session {
    explicit session(std::unique_ptr<server_process> s) : server(std::move(s)) {}
    /// A client of `server` (or of `url`), watched by a recorder of its own.
    client_handle client(sio::client_options o = {}, std::string url = "");

    std::unique_ptr<server_process> server;
    std::vector<std::unique_ptr<recorder>> recs;
    loop lp;
    std::vector<std::unique_ptr<sio::client>> clients;
};

/// Options with the given transports and no reconnection, unless a test asks for it.
sio::client_options transports(std::vector<std::string> t, bool upgrade = true);

/// Compares two JSON values exactly; prints both when they differ.
#define CHECK_JSON_EQ(actual, expected)                                                            \
    do {                                                                                           \
        const ::boost::json::value a_(actual), e_(expected);                                       \
        BOOST_CHECK_MESSAGE(a_ == e_, ::boost::json::serialize(a_)                                 \
                                          << "\n    expected " << ::boost::json::serialize(e_));   \
    } while (0)

} // namespace interop
