#include "sio/server/http_connection.hpp"

#include "sio/protocol/websocket_handshake.hpp"
#include "sio/server/engine_endpoint.hpp"
#include "sio/server/engine_session.hpp"
#include "sio/server/query.hpp"
#include "sio/server/websocket_connection.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <atomic>
#include <cstdint>
#include <limits>

namespace gleitzeit::sio {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr std::size_t plain_body_limit = 64 * 1024;
constexpr const char* unknown_sid = R"({"code":1,"message":"Session ID unknown"})";
constexpr const char* bad_method = R"({"code":2,"message":"Bad handshake method"})";
} // namespace

/// The answer to one engine request, delivered later from the session's strand.
class http_connection::reply : public engine::poll_request {
public:
    reply(std::shared_ptr<http_connection> conn, unsigned version, bool keep_alive,
          std::string origin)
        : conn_(std::move(conn)), version_(version), keep_alive_(keep_alive),
          origin_(std::move(origin)) {}

    void answer_with(unsigned status, std::string body) {
        if (done_.exchange(true))
            return;
        response res{static_cast<http::status>(status), version_};
        res.keep_alive(keep_alive_);
        res.set(http::field::content_type,
                status == 200 ? "text/plain; charset=UTF-8" : "application/json");
        if (!origin_.empty()) {
            res.set(http::field::access_control_allow_origin, origin_);
            res.set(http::field::access_control_allow_credentials, "true");
        }
        res.set(http::field::vary, "Origin");
        res.body() = std::move(body);
        std::exchange(conn_, nullptr)->deliver(std::move(res));
    }
    void answer(unsigned status, std::string body) override {
        answer_with(status, std::move(body));
    }

private:
    std::shared_ptr<http_connection> conn_;
    unsigned version_;
    bool keep_alive_;
    std::string origin_;
    std::atomic<bool> done_{false};
};

http_connection::http_connection(asio::ip::tcp::socket socket, strand_type strand,
                                 std::shared_ptr<http_server_state> server)
    : strand_(std::move(strand)), stream_(std::move(socket)), server_(std::move(server)) {
    server_->stats.tcp_connections.fetch_add(1, std::memory_order_relaxed);
    // For the reads done at once (on_header); asynchronous ones do not depend on it.
    beast::error_code ignored;
    stream_.socket().non_blocking(true, ignored);
}

http_connection::~http_connection() {
    server_->stats.tcp_connections.fetch_sub(1, std::memory_order_relaxed);
}

void http_connection::run() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->read_header(); });
}

void http_connection::read_header() {
    if (closed_)
        return;
    reading_ = true;
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    // Beast checks Content-Length against the body limit (1 MiB by default) while it reads
    // the header, and fails the read without an answer. on_header sets the path's limit and
    // answers 413 itself (docs/operations.md, max_payload).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (awaiting_answer_)
        stream_.expires_never();
    else
        stream_.expires_after(server_->options.request_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void http_connection::on_header(beast::error_code ec) {
    if (ec) {
        reading_ = false;
        on_read_failed();
        return;
    }
    auto& req = parser_->get();
    if (refused(req)) {
        reading_ = false;
        return;
    }
    if (beast::websocket::is_upgrade(req)) {
        reading_ = false;
        upgrade(parser_->release());
        return;
    }
    auto target = std::string_view(req.target().data(), req.target().size());
    auto ep = server_->endpoint_for(engine::parse_query(target).path);
    auto limit = ep ? ep->settings().max_payload : plain_body_limit;
    auto length = parser_->content_length();
    if (length && *length > limit) {
        reading_ = false;
        ec = http::error::body_limit;
        on_body(ec);
        return;
    }
    parser_->body_limit(limit);
    // What of the body has arrived is taken now, not 64 KiB per turn of the event loop:
    // 1,000 clients that POST at once would otherwise each hold part of a body until every
    // other one had its turn (kind 4 of tests/hostile/scale.test.mjs: +77 MB at the peak,
    // +30 MB this way), where now most bodies are read, handled and freed in one go. The
    // socket does not block (the constructor): what has not arrived is read as before.
    beast::error_code now;
    http::read(stream_.socket(), buffer_, *parser_, now);
    if (now != asio::error::would_block && now != asio::error::try_again)
        return on_body(now);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void http_connection::on_body(beast::error_code ec) {
    reading_ = false;
    if (ec == http::error::body_limit) {
        // The body is not read, so this connection cannot carry another request.
        auto req = parser_->release();
        req.keep_alive(false);
        auto target = std::string_view(req.target().data(), req.target().size());
        auto q = engine::parse_query(target);
        auto ep = server_->endpoint_for(q.path);
        auto s = ep && q.sid ? ep->find(*q.sid) : nullptr;
        if (!s) {
            write(make_response(req, 413, "application/json",
                                R"({"code":3,"message":"Payload too large"})"));
            return;
        }
        awaiting_answer_ = true;
        auto ans = make_reply(req);
        asio::dispatch(s->strand(), [s, ans] { s->on_request_too_large(ans); });
        return;
    }
    if (ec) {
        on_read_failed();
        return;
    }
    auto req = parser_->release();
    if (awaiting_answer_ || writing_) {
        // A pipelined request waits for the answer before it.
        stashed_ = std::move(req);
        return;
    }
    serve(std::move(req));
}

bool http_connection::refused(const request& req) {
    auto host = req[http::field::host];
    auto origin = req[http::field::origin];
    auto guard = server_->guard.load();
    auto no = guard->check(std::string_view(host.data(), host.size()),
                           std::string_view(origin.data(), origin.size()));
    if (!no)
        return false;
    server_->stats.refused.add(no->reason);
    if (server_->options.on_refused)
        server_->options.on_refused(*no, std::string_view(host.data(), host.size()),
                                    std::string_view(origin.data(), origin.size()));
    // No CORS header: the page that sent this is not to read the answer. The body is not
    // read, so the connection ends after it.
    response res{http::status::forbidden, req.version()};
    res.keep_alive(false);
    res.set(http::field::content_type, "application/json");
    res.set(http::field::vary, "Origin");
    res.body() = std::move(no->body);
    write(std::move(res));
    return true;
}

void http_connection::serve(request req) {
    auto target = std::string_view(req.target().data(), req.target().size());
    auto q = engine::parse_query(target);
    if (auto ep = server_->endpoint_for(q.path)) {
        serve_engine(req, ep);
        if (awaiting_answer_)
            read_header(); // notices a client that hangs up on its long poll
        return;
    }
    http_response r;
    if (server_->fallback) {
        r = server_->fallback(
            std::string_view(req.method_string().data(), req.method_string().size()), target);
    } else {
        r.status = 404;
        r.body = R"({"error":"not found"})";
    }
    write(make_response(req, r.status, std::move(r.content_type), std::move(r.body)));
}

void http_connection::serve_engine(request& req, const std::shared_ptr<engine::endpoint>& ep) {
    if (req.method() == http::verb::options) {
        // A preflight: the guard has let its Origin through already.
        auto res = make_response(req, 204, "text/plain", "");
        res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
        res.set(http::field::access_control_allow_headers, "content-type");
        write(std::move(res));
        return;
    }
    auto target = std::string_view(req.target().data(), req.target().size());
    auto q = engine::parse_query(target);
    if (auto err = engine::query_error(q, false); !err.empty()) {
        write(make_response(req, 400, "application/json", std::move(err)));
        return;
    }
    bool get = req.method() == http::verb::get;
    if (!get && req.method() != http::verb::post) {
        write(make_response(req, 400, "application/json", bad_method));
        return;
    }
    if (!q.sid) {
        if (!get) {
            write(make_response(req, 400, "application/json", bad_method));
            return;
        }
        auto s = ep->create(server_->ioc);
        auto ans = make_reply(req);
        awaiting_answer_ = true;
        asio::dispatch(s->strand(), [s, ans] { ans->answer(200, s->start_polling()); });
        return;
    }
    auto s = ep->find(*q.sid);
    if (!s) {
        write(make_response(req, 400, "application/json", unknown_sid));
        return;
    }
    auto ans = make_reply(req);
    awaiting_answer_ = true;
    if (get) {
        poll_session_ = s;
        poll_ = ans;
        asio::dispatch(s->strand(), [s, ans] { s->on_poll(ans); });
    } else {
        asio::dispatch(s->strand(), [s, ans, body = std::move(req.body())]() mutable {
            s->on_post(std::move(body), ans);
        });
    }
}

void http_connection::upgrade(request req) {
    auto target = std::string_view(req.target().data(), req.target().size());
    auto q = engine::parse_query(target);
    auto ep = server_->endpoint_for(q.path);
    req.keep_alive(false);
    if (!ep) {
        write(make_response(req, 404, "application/json", R"({"error":"not found"})"));
        return;
    }
    if (auto err = engine::query_error(q, true); !err.empty()) {
        write(make_response(req, 400, "application/json", std::move(err)));
        return;
    }
    std::shared_ptr<engine::session> s;
    if (q.sid) {
        s = ep->find(*q.sid);
        if (!s) {
            write(make_response(req, 400, "application/json", unknown_sid));
            return;
        }
    }
    // The opening handshake (RFC 6455 §4.2), answered here: the 101 then leaves in one
    // write with the first frames.
    auto key = req[http::field::sec_websocket_key];
    if (key.empty() || key.size() > 64 || req[http::field::sec_websocket_version] != "13") {
        auto res =
            make_response(req, 426, "application/json", R"({"code":3,"message":"Bad request"})");
        res.set(http::field::sec_websocket_version, "13");
        write(std::move(res));
        return;
    }
    std::string handshake =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ";
    handshake += ws::accept_for(std::string_view(key.data(), key.size()));
    handshake += "\r\n\r\n";
    closed_ = true;
    auto socket = stream_.release_socket();
    stream_.expires_never();
    // An upgrading WebSocket runs on its session's strand, so frames reach the session
    // without a hop or a copy.
    auto strand = s ? s->strand() : strand_;
    if (s) {
        asio::ip::tcp::socket rebound(strand);
        auto protocol = socket.local_endpoint().protocol();
        rebound.assign(protocol, socket.release());
        socket = std::move(rebound);
    }
    auto ws = std::make_shared<websocket_connection>(std::move(socket), strand, ep, s, server_);
    asio::dispatch(strand, [ws, handshake = std::move(handshake)]() mutable {
        ws->accept(std::move(handshake));
    });
}

void http_connection::on_read_failed() {
    if (poll_ && poll_session_) {
        asio::dispatch(poll_session_->strand(),
                       [s = poll_session_, p = poll_] { s->on_poll_aborted(p.get()); });
    }
    poll_.reset();
    poll_session_.reset();
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
}

void http_connection::deliver(response res) {
    asio::dispatch(strand_, [self = shared_from_this(), res = std::move(res)]() mutable {
        self->awaiting_answer_ = false;
        self->poll_.reset();
        self->poll_session_.reset();
        if (self->closed_)
            return;
        self->write(std::move(res));
    });
}

void http_connection::write(response res) {
    writing_ = true;
    res.prepare_payload();
    bool keep_alive = res.keep_alive();
    auto sp = std::make_shared<response>(std::move(res));
    http::async_write(stream_, *sp,
                      [self = shared_from_this(), sp, keep_alive](
                          beast::error_code ec, std::size_t) { self->on_written(ec, keep_alive); });
}

void http_connection::drain() {
    // A staged close (RFC 9112 §9.6): closing with unread request bytes would make the
    // kernel reset the connection, and the client would lose the answer just sent. So read
    // and discard what is still coming, for a bounded time, before closing.
    stream_.expires_after(std::chrono::seconds(2));
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) {
                                    beast::error_code ignored;
                                    self->stream_.socket().close(ignored);
                                    return;
                                }
                                self->drain();
                            });
}

void http_connection::on_written(beast::error_code ec, bool keep_alive) {
    writing_ = false;
    if (ec || !keep_alive) {
        closed_ = true;
        beast::error_code ignored;
        stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        if (!reading_)
            drain();
        return;
    }
    if (stashed_) {
        auto req = std::move(*stashed_);
        stashed_.reset();
        serve(std::move(req));
        return;
    }
    if (!reading_)
        read_header();
}

http_connection::response http_connection::make_response(const request& req, unsigned status,
                                                         std::string content_type,
                                                         std::string body) const {
    response res{static_cast<http::status>(status), req.version()};
    res.keep_alive(req.keep_alive());
    res.set(http::field::content_type, content_type);
    // Every Origin that gets this far passed the guard, so it may read the answer; which
    // origin that is varies, hence Vary.
    auto origin = req[http::field::origin];
    if (!origin.empty()) {
        res.set(http::field::access_control_allow_origin, origin);
        res.set(http::field::access_control_allow_credentials, "true");
    }
    res.set(http::field::vary, "Origin");
    res.body() = std::move(body);
    return res;
}

std::shared_ptr<http_connection::reply> http_connection::make_reply(const request& req) {
    auto origin = req[http::field::origin]; // passed the guard, as in make_response
    return std::make_shared<reply>(shared_from_this(), req.version(), req.keep_alive(),
                                   std::string(origin.data(), origin.size()));
}

} // namespace gleitzeit::sio
