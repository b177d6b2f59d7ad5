#include "http_transport.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <limits>
#include <utility>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;
namespace asio = boost::asio;
using provider_io::http_error;
using provider_io::http_response;

namespace {

constexpr std::chrono::milliseconds connect_timeout{5000};
constexpr std::chrono::milliseconds stream_first_byte{30000};
constexpr std::chrono::milliseconds stream_lifetime{24LL * 3600 * 1000};

std::string clip(std::string_view s) {
    if (s.size() <= max_error_body)
        return std::string(s);
    return std::string(s.substr(0, max_error_body)) + "...";
}

// What a failed status says about another attempt: the server's trouble may pass (5xx, 429,
// 408); a refusal of the request itself (400, 401, 403, ...) will not.
bool retryable_status(unsigned status) {
    return status >= 500 || status == 429 || status == 408;
}

} // namespace

http_transport::http_transport(asio::io_context& io, const server_config& server,
                               std::chrono::milliseconds restart_max)
    : io_(io), server_(server), restart_max_(restart_max), client_(io), stream_timer_(io) {}

http_transport::~http_transport() { close(); }

void http_transport::open() {
    close();
}

void http_transport::close() {
    ++epoch_;
    for (auto& [key, x] : exchanges_)
        client_.cancel(x.call);
    exchanges_.clear();
    session_id_.clear();
    protocol_version_.clear();
    stream_key_.reset();
    stream_timer_.cancel();
    stream_delay_ = stream_retry;
}

void http_transport::send(const json::object& message, std::optional<std::int64_t> request_id,
                          std::chrono::milliseconds timeout) {
    start_exchange("POST", json::serialize(message), request_id, timeout, false);
}

void http_transport::abandon(std::int64_t request_id) {
    for (auto it = exchanges_.begin(); it != exchanges_.end(); ++it)
        if (it->second.request_id == request_id) {
            client_.cancel(it->second.call);
            exchanges_.erase(it);
            return;
        }
}

void http_transport::initialized(const std::string& protocol_version) {
    protocol_version_ = protocol_version;
    open_stream();
}

provider_io::header_list http_transport::headers(bool stream) const {
    provider_io::header_list h = server_.headers;
    h.emplace_back("Accept", stream ? "text/event-stream" : "application/json, text/event-stream");
    if (!stream)
        h.emplace_back("Content-Type", "application/json");
    if (!session_id_.empty())
        h.emplace_back("Mcp-Session-Id", session_id_);
    if (!protocol_version_.empty())
        h.emplace_back("MCP-Protocol-Version", protocol_version_);
    return h;
}

std::uint64_t http_transport::start_exchange(const std::string& method, std::string body,
                                             std::optional<std::int64_t> request_id,
                                             std::chrono::milliseconds timeout, bool stream) {
    const std::uint64_t key = ++next_key_;
    const std::uint64_t epoch = epoch_;
    provider_io::http_request req;
    req.method = method;
    req.url = server_.url;
    req.headers = headers(stream);
    req.body = std::move(body);
    req.connect_timeout = connect_timeout;
    if (stream) {
        req.first_byte_timeout = stream_first_byte;
        req.total_timeout = stream_lifetime;
        req.max_body = std::numeric_limits<std::size_t>::max();
    } else {
        // The session times the request out itself and abandons it; this is a backstop.
        req.first_byte_timeout = timeout + std::chrono::seconds(1);
        req.total_timeout = timeout + std::chrono::seconds(1);
    }
    exchange& x = exchanges_[key];
    x.request_id = request_id;
    x.stream = stream;
    x.hold = !stream && request_id && protocol_version_.empty();
    std::weak_ptr<const bool> alive = alive_;
    x.call = client_.request(
        std::move(req),
        [this, alive, epoch, key](std::string_view bytes) {
            return !alive.expired() && on_chunk(epoch, key, bytes);
        },
        [this, alive, epoch, key](std::optional<http_error> e, http_response r) {
            if (!alive.expired())
                on_done(epoch, key, std::move(e), r);
        });
    return key;
}

bool http_transport::on_chunk(std::uint64_t epoch, std::uint64_t key, std::string_view bytes) {
    auto it = exchanges_.find(key);
    if (epoch != epoch_ || it == exchanges_.end())
        return false;
    exchange& x = it->second;
    if (x.kind == body_kind::unknown) {
        const auto first = bytes.find_first_not_of(" \t\r\n");
        if (first != std::string_view::npos)
            x.kind = (bytes[first] == '{' || bytes[first] == '[') ? body_kind::json
                                                                    : body_kind::sse;
    }
    if (x.kind != body_kind::sse) {
        x.body.append(bytes);
        return true;
    }
    if (x.body.size() < max_error_body)
        x.body.append(bytes.substr(0, max_error_body - x.body.size()));
    // Collected first: handing a message out may end this exchange, and its reader with it.
    std::vector<std::string> events;
    const bool fits = x.sse.feed(bytes, [&events](const provider_io::sse_event& e) {
        if (e.event == "message" && !e.data.empty())
            events.push_back(e.data);
    });
    for (const std::string& data : events)
        if (!deliver(epoch, key, data))
            return false;
    if (!fits) {
        log(log_level::warn, "server '" + server_.name + "' sent an SSE event over 16 MiB; "
                             "the stream is dropped");
        return false;
    }
    return true;
}

bool http_transport::deliver(std::uint64_t epoch, std::uint64_t key, std::string_view text) {
    std::string why;
    auto messages = jsonrpc::parse(text, why);
    if (messages.empty())
        log(log_level::warn, "server '" + server_.name + "' sent a message that is not " +
                                 "JSON-RPC (" + why + "), skipped: " + clip(text));
    for (auto& m : messages) {
        auto it = exchanges_.find(key);
        if (epoch != epoch_ || it == exchanges_.end())
            return false;
        exchange& x = it->second;
        const bool answer = m.kind == jsonrpc::kind::result || m.kind == jsonrpc::kind::error;
        if (answer && x.request_id && jsonrpc::integer_id(m.id) == x.request_id)
            x.answered = true;
        if (x.hold)
            x.held.push_back(std::move(m));
        else if (handlers_.message)
            handlers_.message(std::move(m));
    }
    return epoch == epoch_ && exchanges_.contains(key);
}

void http_transport::on_done(std::uint64_t epoch, std::uint64_t key, std::optional<http_error> error,
                             const http_response& response) {
    auto it = exchanges_.find(key);
    if (epoch != epoch_ || it == exchanges_.end())
        return;
    if (it->second.stream) {
        stream_key_.reset();
        if (!error && response.status == 200 && it->second.kind != body_kind::unknown)
            stream_delay_ = stream_retry; // it worked for a while: start the delays over
        exchanges_.erase(it);
        return on_stream_done(std::move(error), response.status);
    }
    if (error) {
        exchange x = std::move(it->second);
        exchanges_.erase(it);
        if (x.request_id && !x.answered)
            fail_request(x, {error_code::provider_error,
                             "MCP server '" + server_.name + "': " + error->message,
                             error->retryable});
        else if (!x.request_id)
            log(log_level::warn, "server '" + server_.name + "': a message could not be " +
                                     "sent: " + error->message);
        return;
    }
    exchange& x = it->second;
    if (x.hold)
        if (const std::string* id = response.header("Mcp-Session-Id"))
            session_id_ = *id;
    const unsigned status = response.status;
    if (status == 404 && !x.hold && !session_id_.empty()) {
        const std::string gone = session_id_;
        exchanges_.erase(it);
        if (handlers_.down)
            handlers_.down("the server does not know session " + gone + " any more (HTTP 404)");
        return;
    }
    if (status < 200 || status >= 300) {
        exchange done = std::move(x);
        exchanges_.erase(it);
        std::string text = "MCP server '" + server_.name + "' answered HTTP " +
                           std::to_string(status);
        if (!done.body.empty())
            text += ": " + clip(done.body);
        if (done.request_id && !done.answered)
            fail_request(done, {error_code::provider_error, text, retryable_status(status)});
        else
            log(log_level::warn, text);
        return;
    }
    if (x.kind == body_kind::json) {
        const std::string body = std::move(x.body);
        if (!deliver(epoch, key, body))
            return;
    }
    // The answers that waited for the session id, in the order they came.
    it = exchanges_.find(key);
    exchange done = std::move(it->second);
    exchanges_.erase(it);
    for (auto& m : done.held) {
        if (epoch != epoch_)
            return;
        if (handlers_.message)
            handlers_.message(std::move(m));
    }
    if (epoch == epoch_ && done.request_id && !done.answered)
        fail_request(done, {error_code::provider_error,
                            "MCP server '" + server_.name + "' answered request " +
                                std::to_string(*done.request_id) + " with HTTP " +
                                std::to_string(status) + " but no response message",
                            true});
}

void http_transport::fail_request(const exchange& x, task_error error) {
    if (handlers_.request_failed)
        handlers_.request_failed(*x.request_id, std::move(error));
}

void http_transport::open_stream() {
    stream_key_ = start_exchange("GET", {}, std::nullopt, stream_first_byte, true);
}

void http_transport::on_stream_done(std::optional<http_error> error, unsigned status) {
    if (error && error->kind == provider_io::http_failure::cancelled)
        return;
    if (!error && status == 405) {
        log(log_level::info, "server '" + server_.name + "' offers no stream of its own "
                             "messages (HTTP 405 to GET); tools/list_changed will not reach "
                             "provider-mcp");
        return;
    }
    if (!error && status == 404 && !session_id_.empty()) {
        if (handlers_.down)
            handlers_.down("the server does not know session " + session_id_ +
                           " any more (HTTP 404)");
        return;
    }
    log(log_level::debug, "server '" + server_.name + "': the stream of its own messages ended (" +
                              (error ? error->message : "HTTP " + std::to_string(status)) +
                              "); opening it again in " + std::to_string(stream_delay_.count()) +
                              " ms");
    schedule_stream();
}

void http_transport::schedule_stream() {
    stream_timer_.expires_after(stream_delay_);
    stream_timer_.async_wait([this, alive = std::weak_ptr<const bool>(alive_),
                              epoch = epoch_](boost::system::error_code ec) {
        if (!ec && !alive.expired() && epoch == epoch_ && !stream_key_)
            open_stream();
    });
    stream_delay_ = std::min(stream_delay_ * 2, restart_max_);
}

void http_transport::log(log_level level, const std::string& message) {
    if (handlers_.log)
        handlers_.log(level, message);
}

} // namespace gleitzeit::provider_mcp_detail
