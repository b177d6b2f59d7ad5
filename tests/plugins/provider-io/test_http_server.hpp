#pragma once
// A scripted HTTP server for the HTTP client's tests, on 127.0.0.1 and a port of the kernel's
// choosing: each accepted connection runs the test's session function on a thread of its own,
// with blocking reads and writes, so a test can say byte by byte what the server sends and
// when. With a certificate and key it speaks TLS. The destructor ends every connection (shutdown
// wakes the blocked threads) and joins them.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace provider_io_test {

using tcp = boost::asio::ip::tcp;

/// One accepted connection, as the session function sees it.
class session {
public:
    session(tcp::socket& s, boost::asio::ssl::stream<tcp::socket&>* tls) : socket_(s), tls_(tls) {}

    /// The next request, head and body (by Content-Length), as received; "" when the client
    /// closed the connection or it broke.
    std::string read_request() {
        std::size_t end;
        while ((end = pending_.find("\r\n\r\n")) == std::string::npos)
            if (!fill())
                return "";
        end += 4;
        std::size_t length = 0;
        const std::string head = lower(pending_.substr(0, end));
        if (auto at = head.find("\r\ncontent-length:"); at != std::string::npos)
            length = std::stoul(head.substr(at + 17));
        while (pending_.size() < end + length)
            if (!fill())
                return "";
        std::string request = pending_.substr(0, end + length);
        pending_.erase(0, end + length);
        return request;
    }

    /// Writes all of `bytes`; false when the connection is gone.
    bool write(std::string_view bytes) {
        boost::system::error_code ec;
        if (tls_)
            boost::asio::write(*tls_, boost::asio::buffer(bytes.data(), bytes.size()), ec);
        else
            boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()), ec);
        return !ec;
    }

    /// Blocks until the client closes the connection (or the server stops); true for a close
    /// seen as EOF or reset.
    bool wait_for_close() {
        while (fill()) {
        }
        return true;
    }

    /// Ends the connection (shutdown only: the server closes the socket when it stops, so
    /// that its own shutdown never hits a reused descriptor).
    void close() {
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
    }

private:
    static std::string lower(std::string s) {
        for (char& c : s)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }

    bool fill() {
        char buf[4096];
        boost::system::error_code ec;
        const std::size_t n = tls_ ? tls_->read_some(boost::asio::buffer(buf), ec)
                                   : socket_.read_some(boost::asio::buffer(buf), ec);
        if (ec)
            return false;
        pending_.append(buf, n);
        return true;
    }

    tcp::socket& socket_;
    boost::asio::ssl::stream<tcp::socket&>* tls_;
    std::string pending_;
};

class test_server {
public:
    using session_fn = std::function<void(session&)>;

    /// `cert` and `key` (PEM files): TLS; empty: plain HTTP.
    explicit test_server(session_fn fn, std::string cert = "", std::string key = "")
        : fn_(std::move(fn)), acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
        if (!cert.empty()) {
            tls_.emplace(boost::asio::ssl::context::tls_server);
            tls_->use_certificate_chain_file(cert);
            tls_->use_private_key_file(key, boost::asio::ssl::context::pem);
        }
        accept_thread_ = std::thread([this] { accept_loop(); });
    }

    ~test_server() {
        stopping_ = true;
        ::shutdown(acceptor_.native_handle(), SHUT_RDWR); // wakes the blocked accept()
        accept_thread_.join();
        {
            std::lock_guard lock(mutex_);
            for (auto& s : sockets_)
                ::shutdown(s->native_handle(), SHUT_RDWR); // wakes blocked reads
        }
        for (auto& t : threads_)
            t.join();
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::string url(const std::string& target = "/") const {
        return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) +
               target;
    }
    /// Connections accepted so far.
    int accepted() const { return accepted_.load(); }
    /// Whether the server is being torn down: sessions that wait should give up.
    bool stopping() const { return stopping_.load(); }

private:
    void accept_loop() {
        while (!stopping_) {
            auto socket = std::make_shared<tcp::socket>(io_);
            boost::system::error_code ec;
            acceptor_.accept(*socket, ec);
            if (ec || stopping_)
                return;
            ++accepted_;
            std::lock_guard lock(mutex_);
            sockets_.push_back(socket);
            threads_.emplace_back([this, socket] { run_session(*socket); });
        }
    }

    void run_session(tcp::socket& socket) {
        try {
            if (!tls_) {
                session s(socket, nullptr);
                fn_(s);
            } else {
                boost::asio::ssl::stream<tcp::socket&> tls(socket, *tls_);
                boost::system::error_code ec;
                tls.handshake(boost::asio::ssl::stream_base::server, ec);
                if (ec)
                    return; // the client refused the certificate: that is the test's point
                session s(socket, &tls);
                fn_(s);
            }
        } catch (...) {
            // A session that fails ends its connection; the test asserts on the client side.
        }
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
    }

    session_fn fn_;
    boost::asio::io_context io_;
    std::optional<boost::asio::ssl::context> tls_;
    tcp::acceptor acceptor_;
    std::atomic<int> accepted_{0};
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::vector<std::shared_ptr<tcp::socket>> sockets_;
    std::vector<std::thread> threads_;
    std::thread accept_thread_;
};

} // namespace provider_io_test
