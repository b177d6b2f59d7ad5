#pragma once
// MCP's Streamable HTTP transport (revision 2025-06-18, "Transports"), over
// provider_io::http_client:
//   - every message is a POST of its JSON to the server's URL with
//     Accept: application/json, text/event-stream and Content-Type: application/json;
//   - a request's answer comes back as a JSON body (one message or a batch) or as an SSE
//     stream that carries the server's notifications and requests for the call (progress)
//     and then the answer; a notification or response gets 202 Accepted;
//   - the Mcp-Session-Id of the initialize answer goes on every later message, and so does
//     MCP-Protocol-Version once negotiated; a 404 then means the server forgot the session,
//     and the transport goes down so that the session initializes again;
//   - after initialization a GET opens a stream for messages the server sends on its own
//     (tools/list_changed); 405 means the server offers none. A stream that ends is opened
//     again after stream_retry, doubling up to restart_max.
// Which of JSON or SSE a body is, is told from its first byte ('{' or '[' is JSON): the
// client hands over the body before the headers are known to this side.

#include "mcp_config.hpp"
#include "transport.hpp"

#include "http_client.hpp"
#include "stream_lines.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gleitzeit::provider_mcp_detail {

inline constexpr std::chrono::milliseconds stream_retry{1000};
inline constexpr std::size_t max_error_body = 500; // of a failed response, for the message

class http_transport final : public transport {
public:
    http_transport(boost::asio::io_context& io, const server_config& server,
                   std::chrono::milliseconds restart_max);
    ~http_transport() override;

    void set_handlers(transport_handlers h) override { handlers_ = std::move(h); }
    void open() override;
    void send(const boost::json::object& message, std::optional<std::int64_t> request_id,
              std::chrono::milliseconds timeout) override;
    void abandon(std::int64_t request_id) override;
    void initialized(const std::string& protocol_version) override;
    void close() override;

private:
    enum class body_kind { unknown, json, sse };

    // One POST (or the GET stream) in flight.
    struct exchange {
        std::optional<std::int64_t> request_id; // a request's answer is expected
        provider_io::http_client::call_id call = 0;
        body_kind kind = body_kind::unknown;
        std::string body; // all of a JSON body; the start of an SSE one, for error messages
        provider_io::sse_reader sse;
        bool answered = false;
        // The answer to initialize waits for the headers, which carry the session id: the
        // session's next message (notifications/initialized) must already have it.
        bool hold = false;
        std::vector<jsonrpc::message> held;
        bool stream = false; // the GET stream
    };

    std::uint64_t start_exchange(const std::string& method, std::string body,
                                 std::optional<std::int64_t> request_id,
                                 std::chrono::milliseconds timeout, bool stream);
    provider_io::header_list headers(bool stream) const;
    /// False when the exchange is gone afterwards (the transport closed, or it was abandoned).
    bool on_chunk(std::uint64_t epoch, std::uint64_t key, std::string_view bytes);
    void on_done(std::uint64_t epoch, std::uint64_t key,
                 std::optional<provider_io::http_error> error,
                 const provider_io::http_response& response);
    void on_stream_done(std::optional<provider_io::http_error> error, unsigned status);
    /// Hands out the messages of a JSON body or an SSE event; false when the exchange is gone.
    bool deliver(std::uint64_t epoch, std::uint64_t key, std::string_view text);
    void fail_request(const exchange& x, task_error error);
    void open_stream();
    void schedule_stream();
    void log(log_level level, const std::string& message);

    boost::asio::io_context& io_;
    server_config server_;
    std::chrono::milliseconds restart_max_;
    transport_handlers handlers_;
    provider_io::http_client client_;
    std::uint64_t epoch_ = 0; // which session the callbacks are about
    std::uint64_t next_key_ = 0;
    std::map<std::uint64_t, exchange> exchanges_;
    std::string session_id_;
    std::string protocol_version_;
    std::optional<std::uint64_t> stream_key_;
    std::chrono::milliseconds stream_delay_{stream_retry};
    boost::asio::steady_timer stream_timer_;
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

} // namespace gleitzeit::provider_mcp_detail
