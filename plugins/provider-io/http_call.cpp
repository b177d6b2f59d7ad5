#include "http_call.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <limits>
#include <utility>

namespace gleitzeit::provider_io::detail {

namespace http = boost::beast::http;
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Failures another attempt may get past: the network's and the server's moods. Not so a
// request the client refuses (URL, address, size) or a certificate that does not check out.
bool is_retryable(http_failure f) {
    switch (f) {
    case http_failure::bad_url:
    case http_failure::refused_address:
    case http_failure::tls:
    case http_failure::body_too_large:
    case http_failure::cancelled:
        return false;
    default:
        return true;
    }
}

std::string ms_text(std::chrono::milliseconds ms) {
    return std::to_string(ms.count()) + " ms";
}

bool has_crlf(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

} // namespace

http_call::http_call(std::shared_ptr<client_core> core, http_client::call_id id, http_request req,
                     http_client::chunk_fn on_chunk, http_client::done_fn done)
    : core_(std::move(core)), id_(id), req_(std::move(req)), on_chunk_(std::move(on_chunk)),
      done_(std::move(done)), resolver_(core_->io), phase_timer_(core_->io),
      total_timer_(core_->io) {}

void http_call::start() {
    if (core_->closed)
        return fail(http_failure::cancelled, "cancelled: the client is closed");
    std::string why;
    auto url = parse_http_url(req_.url, why);
    if (!url)
        return fail(http_failure::bad_url, "bad URL '" + req_.url + "': " + why);
    url_ = std::move(*url);
    for (const auto& [name, value] : req_.headers)
        if (name.empty() || has_crlf(name) || has_crlf(value))
            return fail(http_failure::bad_url, "bad request header '" + name + "'");
    pool_key_ = std::string(url_.scheme()) + "://" + url_.endpoint();
    total_timer_.expires_after(req_.total_timeout);
    total_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (!ec)
            self->fail(http_failure::total_timeout,
                       "call not finished within " + ms_text(self->req_.total_timeout));
    });
    conn_ = core_->pool.take(pool_key_);
    if (!conn_)
        return connect_fresh();
    reused_ = true;
    send();
}

void http_call::connect_fresh() {
    reused_ = false;
    conn_ = std::make_shared<http_connection>(core_->io,
                                              url_.tls ? &core_->tls_context : nullptr);
    arm_phase(req_.connect_timeout, http_failure::connect_timeout,
              "no connection within " + ms_text(req_.connect_timeout));
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this()](const error_code& ec, tcp::resolver::results_type r) {
            self->on_resolved(ec, r);
        });
}

void http_call::on_resolved(const error_code& ec, const tcp::resolver::results_type& results) {
    if (finished_)
        return;
    if (ec)
        return fail(http_failure::resolve, "name did not resolve: " + ec.message());
    // The guard runs on resolved addresses, so that a name pointing at a forbidden address is
    // refused as that address would be.
    std::vector<tcp::endpoint> allowed;
    std::string refusal;
    for (const auto& entry : results) {
        const std::string address = entry.endpoint().address().to_string();
        std::string reason =
            req_.check_address ? req_.check_address(address, url_.port) : std::string();
        if (reason.empty())
            allowed.push_back(entry.endpoint());
        else if (refusal.empty())
            refusal = "address " + address + " refused: " + reason;
    }
    if (allowed.empty())
        return fail(http_failure::refused_address, refusal);
    asio::async_connect(conn_->socket(), allowed,
                        [self = shared_from_this(), conn = conn_](const error_code& ec, const tcp::endpoint&) {
                            if (self->finished_)
                                return;
                            if (ec)
                                return self->fail(http_failure::connect,
                                                  "connect failed: " + ec.message());
                            self->handshake();
                        });
}

void http_call::handshake() {
    auto* tls = conn_->tls();
    if (!tls)
        return send();
    SSL* ssl = tls->native_handle();
    error_code not_an_address;
    asio::ip::make_address(url_.host, not_an_address);
    const bool ip_literal = !not_an_address;
    // OpenSSL checks the name (or address) during the handshake, so a mismatch comes back
    // with its own verify result, like any other certificate failure.
    if (ip_literal) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.host.c_str());
    } else {
        SSL_set_tlsext_host_name(ssl, url_.host.c_str()); // SNI
        SSL_set1_host(ssl, url_.host.c_str());
    }
    tls->async_handshake(asio::ssl::stream_base::client,
                         [self = shared_from_this(), conn = conn_, ssl](const error_code& ec) {
                             if (self->finished_)
                                 return;
                             if (!ec)
                                 return self->send();
                             std::string what = "TLS handshake failed: " + ec.message();
                             const long verify = SSL_get_verify_result(ssl);
                             if (verify != X509_V_OK)
                                 what += std::string(" (") +
                                         X509_verify_cert_error_string(verify) + ")";
                             self->fail(http_failure::tls, what);
                         });
}

void http_call::send() {
    disarm_phase();
    request_ = {};
    request_.version(11);
    request_.method_string(req_.method);
    request_.target(url_.target);
    for (const auto& [name, value] : req_.headers)
        request_.insert(name, value);
    if (request_.find(http::field::host) == request_.end())
        request_.set(http::field::host, url_.host_header());
    request_.body() = req_.body;
    request_.prepare_payload();
    conn_->visit([this](auto& stream) {
        http::async_write(stream, request_,
                          [self = shared_from_this(), conn = conn_](const error_code& ec, std::size_t) {
                              if (self->finished_)
                                  return;
                              if (ec && self->retry_on_fresh(ec))
                                  return;
                              if (ec)
                                  return self->fail(http_failure::connect,
                                                    "connection lost while sending: " +
                                                        ec.message());
                              self->read_header();
                          });
    });
}

void http_call::read_header() {
    arm_phase(req_.first_byte_timeout, http_failure::first_byte_timeout,
              "no response within " + ms_text(req_.first_byte_timeout));
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    // max_body is checked here, with its own failure; Beast's limit would be a parse error.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (req_.method == "HEAD")
        parser_->skip(true);
    conn_->visit([this](auto& stream) {
        http::async_read_header(stream, conn_->buffer, *parser_,
                                [self = shared_from_this(), conn = conn_](const error_code& ec, std::size_t) {
                                    self->on_header(ec);
                                });
    });
}

void http_call::on_header(const error_code& ec) {
    if (finished_)
        return;
    if (ec) {
        if (!parser_->got_some() && retry_on_fresh(ec))
            return;
        return fail(http_failure::protocol,
                    (parser_->got_some() ? "bad response header: " : "no response: ") +
                        ec.message());
    }
    disarm_phase();
    const auto& head = parser_->get();
    response_.status = head.result_int();
    for (const auto& field : head)
        response_.headers.emplace_back(std::string(field.name_string()),
                                       std::string(field.value()));
    if (auto length = parser_->content_length(); length && *length > req_.max_body)
        return fail(http_failure::body_too_large,
                    "response body over max_body (" + std::to_string(req_.max_body) + " bytes)");
    if (parser_->is_done())
        return complete();
    read_body();
}

void http_call::read_body() {
    auto& body = parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    conn_->visit([this](auto& stream) {
        http::async_read_some(stream, conn_->buffer, *parser_,
                              [self = shared_from_this(), conn = conn_](const error_code& ec, std::size_t) {
                                  self->on_body(ec);
                              });
    });
}

void http_call::on_body(error_code ec) {
    if (finished_)
        return;
    if (ec == http::error::need_buffer)
        ec = {}; // the chunk buffer is full: hand it out and read on
    if (ec)
        return fail(http_failure::protocol, "connection dropped mid-response: " + ec.message());
    const std::size_t got = chunk_.size() - parser_->get().body().size;
    body_bytes_ += got;
    if (body_bytes_ > req_.max_body)
        return fail(http_failure::body_too_large,
                    "response body over max_body (" + std::to_string(req_.max_body) + " bytes)");
    if (got > 0) {
        const std::string_view bytes(chunk_.data(), got);
        if (!on_chunk_)
            response_.body.append(bytes);
        else if (!on_chunk_(bytes))
            return fail(http_failure::cancelled, "cancelled");
        if (finished_)
            return; // on_chunk may have ended the call in another way
    }
    if (parser_->is_done())
        return complete();
    read_body();
}

void http_call::complete() {
    // Bytes beyond the response would be the start of something nobody asked for.
    const bool reusable = parser_->keep_alive() && conn_->buffer.size() == 0 && !core_->closed;
    if (reusable)
        core_->pool.put(pool_key_, std::move(conn_));
    else
        conn_->close();
    conn_.reset();
    finish(std::nullopt);
}

bool http_call::retry_on_fresh(const error_code&) {
    if (!reused_ || retried_)
        return false;
    retried_ = true;
    conn_->close();
    conn_.reset();
    connect_fresh();
    return true;
}

void http_call::fail(http_failure kind, const std::string& what) {
    if (finished_)
        return;
    // An operation on the connection may still be pending (a timer or cancel ended the call):
    // its handler holds the connection (`conn` in each one), so closing here only aborts it,
    // and the socket and buffer it uses live until it has run.
    if (conn_)
        conn_->close();
    conn_.reset();
    const std::string where = url_.host.empty() ? std::string() : url_.endpoint() + ": ";
    finish(http_error{kind, where + what, is_retryable(kind)});
}

void http_call::finish(std::optional<http_error> error) {
    finished_ = true;
    resolver_.cancel();
    phase_timer_.cancel();
    total_timer_.cancel();
    core_->calls.erase(id_);
    http_client::done_fn done = std::move(done_);
    if (!done)
        return;
    try {
        done(std::move(error), std::move(response_));
    } catch (...) {
        // An exception out of here would end the io thread (and the hub with it); the caller
        // owns its done and its failures.
    }
}

void http_call::arm_phase(std::chrono::milliseconds after, http_failure kind, std::string what) {
    const std::uint64_t serial = ++phase_serial_;
    phase_timer_.expires_after(after);
    phase_timer_.async_wait([self = shared_from_this(), serial, kind,
                             what = std::move(what)](const error_code& ec) {
        // A timer that expired just before it was re-armed still runs; the serial tells.
        if (!ec && serial == self->phase_serial_)
            self->fail(kind, what);
    });
}

void http_call::disarm_phase() {
    ++phase_serial_;
    phase_timer_.cancel();
}

} // namespace gleitzeit::provider_io::detail
