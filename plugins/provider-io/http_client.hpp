#pragma once
// An asynchronous HTTP/1.1 client for the provider plugins (llm, http, mcp's Streamable HTTP
// transport), on Boost.Beast, with keep-alive connections per endpoint (scheme, host, port)
// and TLS through Asio's OpenSSL stream, checking certificates against the system store.
//
// Every callback runs on the io_context the client was made with (io_thread.hpp); a provider
// hands results to its strand with host::post(), or calls `done` of the task directly (any
// thread may).

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gleitzeit::provider_io {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request {
    std::string method = "GET";
    std::string url; // http://host[:port]/path?query or https://...
    header_list headers;
    std::string body;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds first_byte_timeout{30000}; // from the request sent to the status line
    std::chrono::milliseconds total_timeout{300000};     // the whole call, body included
    std::size_t max_body = 64u << 20;                     // a larger body fails the call
    /// Called with every address the host name resolved to, before connecting to it; a
    /// non-empty return refuses that address with this reason (an SSRF guard). Null: all.
    std::function<std::string(const std::string& address, std::uint16_t port)> check_address;
};

struct http_response {
    unsigned status = 0;
    header_list headers; // as received, in order
    std::string body;    // empty when the request streamed it to on_chunk
    /// The first header of that name, case-insensitive; nullptr if absent.
    const std::string* header(std::string_view name) const;
};

enum class http_failure {
    bad_url,            // not http(s)://host..., or an unsupported scheme
    refused_address,    // check_address refused every address
    resolve,            // the name did not resolve
    connect,            // connection refused or reset before the request went out
    tls,                // handshake or certificate failed
    connect_timeout,
    first_byte_timeout,
    total_timeout,
    body_too_large,     // over max_body
    protocol,           // not HTTP, or the connection dropped mid-response
    cancelled,
};

struct http_error {
    http_failure kind;
    std::string message; // for people: names the URL's host and what happened
    /// Whether another attempt may succeed: connection and timeout failures are, a refused
    /// address, a bad URL, a body too large or a certificate that fails are not.
    bool retryable;
};

std::string_view to_string(http_failure f) noexcept;

struct tls_options {
    bool verify = true;  // check the peer's certificate against the system store and the name
    std::string ca_file; // extra CA bundle (PEM); empty: the system store only
};

class http_client {
public:
    using call_id = std::uint64_t;
    /// Body bytes as they arrive, for streaming (NDJSON, SSE). Returning false cancels.
    using chunk_fn = std::function<bool(std::string_view bytes)>;
    /// Exactly once per request(): the response, or the error. A non-2xx status is a
    /// response, not an error.
    using done_fn = std::function<void(std::optional<http_error>, http_response)>;

    http_client(boost::asio::io_context& io, tls_options tls = {});
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    /// Starts a call. With on_chunk the body goes to it and not into http_response::body
    /// (max_body still counts). Thread-safe: posts to the io_context.
    call_id request(http_request req, chunk_fn on_chunk, done_fn done);
    /// Ends a call early: its done comes with http_failure::cancelled. Thread-safe.
    void cancel(call_id id);
    /// Cancels every call and closes every kept-alive connection. Thread-safe.
    void close();

    /// Kept-alive connections now idle, for tests and metrics.
    std::size_t idle_connections() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace gleitzeit::provider_io
