#include "harness.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

namespace interop {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v)
        throw std::runtime_error(std::string(name) + " is not set (run the tests through ctest)");
    return v;
}

// --- server_process ---

server_process::server_process(std::vector<std::string> argv) : name_(argv.at(0)) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw std::system_error(errno, std::generic_category(), "fork");
    }
    if (pid == 0) {
        // The test process has threads: only async-signal-safe calls until exec.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL); // a crashed test run leaves no server behind
        if (::getppid() != parent)
            ::_exit(127);
        ::dup2(fds[1], STDOUT_FILENO); // dup2 clears O_CLOEXEC on the copy
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    pid_ = pid;
    out_ = fds[0];

    // Bounded wait for the "listening on HOST:PORT" line.
    std::string text;
    const auto deadline = clock::now() + 10s;
    std::string failure;
    for (;;) {
        auto at = text.find("listening on ");
        auto eol = at == std::string::npos ? std::string::npos : text.find('\n', at);
        if (eol != std::string::npos) {
            auto line = text.substr(at, eol - at);
            auto colon = line.rfind(':');
            port_ = static_cast<std::uint16_t>(std::stoul(line.substr(colon + 1)));
            if (eol + 1 < text.size())
                std::cerr << text.substr(eol + 1);
            break;
        }
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) {
            failure = "did not report its port within 10 s";
            break;
        }
        pollfd p{out_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0)
            continue;
        char buf[4096];
        auto n = ::read(out_, buf, sizeof buf);
        if (n <= 0) {
            failure = "exited before it was listening";
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    if (!failure.empty()) {
        stop(SIGKILL);
        throw std::runtime_error(name_ + " " + failure + "; its output: " + text);
    }
    drainer_ = std::thread([this] { drain(); });
}

server_process::~server_process() {
    stop();
}

void server_process::drain() {
    char buf[4096];
    while (!stopping_) {
        pollfd p{out_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        auto n = ::read(out_, buf, sizeof buf);
        if (n <= 0)
            return;
        std::cerr.write(buf, n);
    }
}

int server_process::stop(int sig, std::chrono::milliseconds grace) {
    if (pid_ < 0)
        return -1;
    int status = 0;
    ::kill(pid_, sig);
    const auto deadline = clock::now() + grace;
    pid_t r = 0;
    while ((r = ::waitpid(pid_, &status, WNOHANG)) == 0 && clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    if (r == 0) {
        std::cerr << name_ << " ignored signal " << sig << " for " << grace.count()
                  << " ms; killing it\n";
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    stopping_ = true;
    if (drainer_.joinable())
        drainer_.join();
    ::close(out_);
    out_ = -1;
    return status;
}

bool server_process::stop_clean() {
    int status = stop(SIGTERM);
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::unique_ptr<server_process> start_reference(std::uint16_t port) {
    return std::make_unique<server_process>(
        std::vector<std::string>{env("NODE"), env("REF_SERVER"), "--port", std::to_string(port)});
}

std::unique_ptr<server_process> start_fixture(std::uint16_t port) {
    return std::make_unique<server_process>(
        std::vector<std::string>{env("SIO_TESTSERVER"), "--port", std::to_string(port)});
}

std::unique_ptr<server_process> start_gleitzeitd(const std::string& toml, std::uint16_t port) {
    std::string dir = (std::filesystem::temp_directory_path() / "gleitzeitd-cpp-XXXXXX").string();
    if (!::mkdtemp(dir.data()))
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    auto config = std::filesystem::path(dir) / "gleitzeit.toml";
    std::ofstream(config) << toml;
    std::unique_ptr<server_process> p;
    try {
        p = std::make_unique<server_process>(std::vector<std::string>{
            env("GLEITZEITD"), "--config", config.string(), "--port", std::to_string(port)});
    } catch (...) {
        std::filesystem::remove_all(dir);
        throw;
    }
    std::filesystem::remove_all(dir); // read once at startup
    return p;
}

std::uint16_t dead_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::system_error(errno, std::generic_category(), "dead_port");
    ::close(fd); // never listened: connecting is refused
    return ntohs(a.sin_port);
}

// --- loop ---

loop::loop() : guard(boost::asio::make_work_guard(ioc)), thread([this] { ioc.run(); }) {}

loop::~loop() {
    guard.reset();
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    boost::asio::post(ioc, [done] { done->set_value(); });
    f.wait_for(2s);
    ioc.stop();
    thread.join();
}

client_handle session::client(sio::client_options o, std::string url) {
    recs.push_back(std::make_unique<recorder>());
    clients.push_back(
        std::make_unique<sio::client>(lp.ioc, url.empty() ? server->url() : url, std::move(o)));
    recs.back()->watch(*clients.back());
    return {*clients.back(), *recs.back()};
}

sio::client_options transports(std::vector<std::string> t, bool upgrade) {
    sio::client_options o;
    o.transports = std::move(t);
    o.upgrade = upgrade;
    o.reconnection = false;
    return o;
}

// --- recorder ---

void recorder::watch(sio::client& c) {
    c.on_status([this](const sio::client_event& e) {
        {
            std::lock_guard lock(mutex_);
            statuses_.push_back({e, clock::now()});
        }
        cv_.notify_all();
    });
}

void recorder::listen(sio::namespace_handle& s, const std::string& event) {
    s.on(event, [this, nsp = s.nsp(), event](sio::message& m, const sio::namespace_handle::ack_fn&) {
        add({nsp, event, m});
    });
}

void recorder::add(event_record r) {
    {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(r));
    }
    cv_.notify_all();
}

std::size_t count_status(const std::vector<status_record>& s, sio::client_event::kind what,
                         const std::string& nsp) {
    std::size_t n = 0;
    for (const auto& r : s)
        n += r.e.what == what && (nsp.empty() || r.e.nsp == nsp);
    return n;
}

bool recorder::wait_status(sio::client_event::kind what, const std::string& nsp, std::size_t n,
                           std::chrono::milliseconds timeout) {
    return wait([&](const auto& s, const auto&) { return count_status(s, what, nsp) >= n; },
                timeout);
}

bool recorder::wait_event(const std::string& nsp, const std::string& event, std::size_t n,
                          std::chrono::milliseconds timeout) {
    return wait(
        [&](const auto&, const std::vector<event_record>& ev) {
            std::size_t c = 0;
            for (const auto& r : ev)
                c += r.nsp == nsp && r.event == event;
            return c >= n;
        },
        timeout);
}

std::vector<status_record> recorder::statuses() const {
    std::lock_guard lock(mutex_);
    return statuses_;
}

std::vector<sio::client_event> recorder::statuses_of(sio::client_event::kind what,
                                                     const std::string& nsp) const {
    std::lock_guard lock(mutex_);
    std::vector<sio::client_event> out;
    for (const auto& r : statuses_)
        if (r.e.what == what && (nsp.empty() || r.e.nsp == nsp))
            out.push_back(r.e);
    return out;
}

std::vector<sio::message> recorder::events_of(const std::string& nsp,
                                              const std::string& event) const {
    std::lock_guard lock(mutex_);
    std::vector<sio::message> out;
    for (const auto& r : events_)
        if (r.nsp == nsp && r.event == event)
            out.push_back(r.m);
    return out;
}

const char* kind_name(sio::client_event::kind k) {
    using K = sio::client_event::kind;
    switch (k) {
    case K::open:
        return "open";
    case K::upgrade:
        return "upgrade";
    case K::connect:
        return "connect";
    case K::connect_error:
        return "connect_error";
    case K::disconnect:
        return "disconnect";
    case K::close:
        return "close";
    case K::reconnect_scheduled:
        return "reconnect_scheduled";
    case K::reconnect_attempt:
        return "reconnect_attempt";
    case K::reconnect:
        return "reconnect";
    case K::reconnect_failed:
        return "reconnect_failed";
    }
    return "?";
}

std::string recorder::describe() const {
    std::ostringstream o;
    auto all = statuses();
    auto t0 = all.empty() ? clock::now() : all.front().at;
    for (const auto& r : all)
        o << "  +" << std::chrono::duration_cast<std::chrono::milliseconds>(r.at - t0).count()
          << "ms " << kind_name(r.e.what) << " nsp=" << r.e.nsp << " reason=" << r.e.reason
          << " attempt=" << r.e.attempt << " delay=" << r.e.delay.count()
          << " data=" << json::serialize(r.e.data) << "\n";
    return o.str();
}

// --- messages ---

std::optional<sio::message> ask(sio::namespace_handle& s, const std::string& event, sio::message m,
                                std::chrono::milliseconds timeout) {
    struct slot {
        std::promise<std::optional<sio::message>> p;
        std::atomic<int> calls{0};
    };
    auto sl = std::make_shared<slot>();
    auto f = sl->p.get_future();
    s.emit(event, std::move(m), timeout, [sl](std::optional<sio::message> r) {
        if (sl->calls++ == 0) // a second call would be a client bug; never let it throw here
            sl->p.set_value(std::move(r));
    });
    if (f.wait_for(timeout + 3s) != std::future_status::ready)
        throw std::runtime_error("the reply handler of '" + event +
                                 "' did not run, not even with nullopt after its timeout");
    return f.get();
}

std::string hex(const std::string& b) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : b) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string bytes(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * 31 + seed) & 255); // 31 is odd: 256 bytes cover every value
    return s;
}

namespace {
json::value resolve(const json::value& v, const std::vector<std::string>& att) {
    if (auto i = sio::placeholder_index(v)) {
        if (*i < att.size())
            return json::object{{"bytes", hex(att[*i])}};
        return json::object{{"dangling placeholder", *i}};
    }
    if (const auto* a = v.if_array()) {
        json::array out;
        for (const auto& x : *a)
            out.push_back(resolve(x, att));
        return out;
    }
    if (const auto* o = v.if_object()) {
        json::object out;
        for (const auto& [k, x] : *o)
            out[k] = resolve(x, att);
        return out;
    }
    return v;
}
} // namespace

json::value resolved(const sio::message& m) {
    return resolve(m.args, m.attachments);
}

} // namespace interop
