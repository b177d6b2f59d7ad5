#pragma once
// One request of the HTTP client, from the URL to `done`: a state machine on the io thread.
//
//   start -> [pooled connection | resolve -> check addresses -> connect -> TLS handshake]
//         -> send -> read header -> read body (chunk by chunk) -> done
//
// Timers: connect_timeout covers resolve, connect and handshake; first_byte_timeout runs from
// the request sent to the response header; total_timeout covers the whole call. A pooled
// connection that fails before any byte of the response came is replaced once by a fresh one
// (the server may have closed it while it sat idle). Internal to provider-io.

#include "http_client.hpp"
#include "http_client_core.hpp"
#include "http_url.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>

namespace gleitzeit::provider_io::detail {

class http_call : public std::enable_shared_from_this<http_call> {
public:
    http_call(std::shared_ptr<client_core> core, http_client::call_id id, http_request req,
              http_client::chunk_fn on_chunk, http_client::done_fn done);

    void start();
    /// Ends the call with http_failure::cancelled, unless it has ended already.
    void cancel() { fail(http_failure::cancelled, "cancelled"); }

private:
    using tcp = boost::asio::ip::tcp;

    void connect_fresh();
    void on_resolved(const boost::system::error_code& ec, const tcp::resolver::results_type& r);
    void handshake();
    void send();
    void read_header();
    void on_header(const boost::system::error_code& ec);
    void read_body();
    void on_body(boost::system::error_code ec);
    void complete();
    /// Whether a failure on a pooled connection should be tried again on a fresh one.
    bool retry_on_fresh(const boost::system::error_code& ec);
    void fail(http_failure kind, const std::string& what);
    void finish(std::optional<http_error> error);
    /// Starts the phase timer (connect or first byte); a later arm or disarm supersedes it.
    void arm_phase(std::chrono::milliseconds after, http_failure kind, std::string what);
    void disarm_phase();

    std::shared_ptr<client_core> core_;
    http_client::call_id id_;
    http_request req_;
    http_client::chunk_fn on_chunk_;
    http_client::done_fn done_;

    http_url url_;
    std::string pool_key_;
    std::shared_ptr<http_connection> conn_;
    bool reused_ = false;  // conn_ came from the pool
    bool retried_ = false; // the one fresh attempt after a stale pooled connection is used
    bool finished_ = false;
    tcp::resolver resolver_;
    boost::asio::steady_timer phase_timer_;
    std::uint64_t phase_serial_ = 0;
    boost::asio::steady_timer total_timer_;

    boost::beast::http::request<boost::beast::http::string_body> request_;
    std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> parser_;
    std::array<char, 16384> chunk_{};
    std::size_t body_bytes_ = 0;
    http_response response_;
};

} // namespace gleitzeit::provider_io::detail
