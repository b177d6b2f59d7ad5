#pragma once
// The LLM fixture server (tests/fixtures/llm_server.mjs) as a real process for the provider's
// tests: started with node on 127.0.0.1, its port read from its first stdout line, asked
// what it received (GET /_fixture/requests), and killed and reaped when the test ends.

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace provider_llm_test {

class fixture_process {
public:
    explicit fixture_process(std::vector<std::string> args = {}) {
        std::vector<std::string> argv{LLM_TEST_NODE, LLM_FIXTURE_SCRIPT};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> raw;
        for (std::string& a : argv)
            raw.push_back(a.data());
        raw.push_back(nullptr);
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe failed");
        pid_ = ::fork();
        if (pid_ == 0) {
            // Dies with the test, even when the test crashes before its destructors run; and
            // holds none of the test's descriptors (a pipe to a caller's `| tail` would keep
            // the caller waiting).
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            const int null = ::open("/dev/null", O_RDWR);
            ::dup2(null, 0);
            ::dup2(out[1], 1);
            if (!std::getenv("SHOW_FIXTURE_STDERR"))
                ::dup2(null, 2);
            ::close_range(3, ~0u, 0);
            ::execv(raw[0], raw.data());
            ::_exit(127);
        }
        ::close(out[1]);
        if (pid_ < 0) {
            ::close(out[0]);
            throw std::runtime_error("cannot start " + argv[0]);
        }
        port = read_port(out[0]);
        ::close(out[0]);
    }
    ~fixture_process() { kill(); }
    fixture_process(const fixture_process&) = delete;
    fixture_process& operator=(const fixture_process&) = delete;

    void kill() {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = 0;
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

    /// GET or DELETE on the fixture over HTTP/1.0; the body of the answer.
    std::string http(const std::string& method, const std::string& path) const {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd);
            throw std::runtime_error("cannot reach the fixture");
        }
        const std::string req = method + " " + path + " HTTP/1.0\r\nHost: fixture\r\n\r\n";
        (void)!::write(fd, req.data(), req.size());
        std::string answer;
        char buf[65536];
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
            answer.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
        const std::size_t body = answer.find("\r\n\r\n");
        return body == std::string::npos ? "" : answer.substr(body + 4);
    }

    /// {connections, requests: [{seq, method, path, connection, headers, body, aborted}]}
    boost::json::value requests() const { return boost::json::parse(http("GET", "/_fixture/requests")); }
    void forget_requests() const { http("DELETE", "/_fixture/requests"); }

    std::uint16_t port = 0;

private:
    static std::uint16_t read_port(int fd) {
        std::string line;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (line.find('\n') == std::string::npos) {
            pollfd p{fd, POLLIN, 0};
            if (std::chrono::steady_clock::now() > deadline || ::poll(&p, 1, 100) < 0)
                throw std::runtime_error("the fixture did not print its port");
            char c[256];
            if (p.revents == 0)
                continue;
            const ssize_t n = ::read(fd, c, sizeof c);
            if (n <= 0)
                throw std::runtime_error("the fixture exited before printing its port");
            line.append(c, static_cast<std::size_t>(n));
        }
        const auto v = boost::json::parse(line.substr(0, line.find('\n')));
        return static_cast<std::uint16_t>(v.at("port").as_int64());
    }

    pid_t pid_ = 0;
};

} // namespace provider_llm_test
