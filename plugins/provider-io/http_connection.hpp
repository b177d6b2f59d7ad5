#pragma once
// One connection of the HTTP client, plain or TLS, and the pool of idle kept-alive ones.
// Internal to provider-io (http_client.hpp is the interface); used on the io thread only,
// except connection_pool::idle(), which any thread may read.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gleitzeit::provider_io::detail {

class http_connection {
public:
    using tcp = boost::asio::ip::tcp;

    /// A TLS connection when `tls` is given, plain otherwise; not connected yet.
    http_connection(boost::asio::io_context& io, boost::asio::ssl::context* tls);

    tcp::socket& socket() noexcept { return tls_ ? tls_->next_layer() : *plain_; }
    boost::asio::ssl::stream<tcp::socket>* tls() noexcept { return tls_ ? &*tls_ : nullptr; }

    /// Calls f with the stream to read and write: the TLS stream or the plain socket.
    template <class F> void visit(F&& f) {
        if (tls_)
            f(*tls_);
        else
            f(*plain_);
    }

    /// Closes the socket; pending operations end with operation_aborted.
    void close() noexcept;
    /// Whether an idle connection can take another request: the peer has neither closed it
    /// nor sent anything (a server sends nothing unasked, so readable means closing).
    bool usable_when_idle() const noexcept;

    boost::beast::flat_buffer buffer; // bytes read and not parsed yet
    std::chrono::steady_clock::time_point idle_since;

private:
    std::optional<tcp::socket> plain_;
    std::optional<boost::asio::ssl::stream<tcp::socket>> tls_;
};

/// Idle connections by endpoint key ("https://host:port"), the most recently used first.
class connection_pool {
public:
    static constexpr std::size_t max_idle_per_endpoint = 16;
    static constexpr std::chrono::seconds max_idle_time{60};

    /// An idle connection to `key` that still looks usable, or null.
    std::shared_ptr<http_connection> take(const std::string& key);
    void put(const std::string& key, std::shared_ptr<http_connection> c);
    /// Closes every idle connection.
    void clear();
    std::size_t idle() const noexcept { return idle_.load(); }

private:
    std::map<std::string, std::vector<std::shared_ptr<http_connection>>> by_key_;
    std::atomic<std::size_t> idle_{0};
};

} // namespace gleitzeit::provider_io::detail
