#include "http_client.hpp"

#include "http_call.hpp"
#include "http_client_core.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

namespace gleitzeit::provider_io {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

const std::string* http_response::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (iequals(n, name))
            return &v;
    return nullptr;
}

std::string_view to_string(http_failure f) noexcept {
    switch (f) {
    case http_failure::bad_url:
        return "bad_url";
    case http_failure::refused_address:
        return "refused_address";
    case http_failure::resolve:
        return "resolve";
    case http_failure::connect:
        return "connect";
    case http_failure::tls:
        return "tls";
    case http_failure::connect_timeout:
        return "connect_timeout";
    case http_failure::first_byte_timeout:
        return "first_byte_timeout";
    case http_failure::total_timeout:
        return "total_timeout";
    case http_failure::body_too_large:
        return "body_too_large";
    case http_failure::protocol:
        return "protocol";
    case http_failure::cancelled:
        return "cancelled";
    }
    return "unknown";
}

namespace detail {

client_core::client_core(boost::asio::io_context& io_context, const tls_options& tls)
    : io(io_context), tls_context(boost::asio::ssl::context::tls_client) {
    tls_context.set_options(boost::asio::ssl::context::default_workarounds |
                            boost::asio::ssl::context::no_sslv2 |
                            boost::asio::ssl::context::no_sslv3);
    if (tls.verify) {
        tls_context.set_default_verify_paths();
        tls_context.set_verify_mode(boost::asio::ssl::verify_peer);
    } else {
        tls_context.set_verify_mode(boost::asio::ssl::verify_none);
    }
    if (!tls.ca_file.empty()) {
        boost::system::error_code ec;
        tls_context.load_verify_file(tls.ca_file, ec);
        if (ec)
            throw std::runtime_error("cannot read CA file '" + tls.ca_file +
                                     "': " + ec.message());
    }
}

} // namespace detail

struct http_client::impl : detail::client_core {
    using client_core::client_core;
};

http_client::http_client(boost::asio::io_context& io, tls_options tls)
    : impl_(std::make_shared<impl>(io, tls)) {}

http_client::~http_client() {
    close();
}

http_client::call_id http_client::request(http_request req, chunk_fn on_chunk, done_fn done) {
    const call_id id = ++impl_->next_id;
    boost::asio::post(impl_->io, [core = impl_, id, req = std::move(req),
                                  on_chunk = std::move(on_chunk),
                                  done = std::move(done)]() mutable {
        auto call = std::make_shared<detail::http_call>(core, id, std::move(req),
                                                        std::move(on_chunk), std::move(done));
        core->calls.emplace(id, call);
        call->start();
    });
    return id;
}

void http_client::cancel(call_id id) {
    boost::asio::post(impl_->io, [core = impl_, id] {
        auto it = core->calls.find(id);
        if (it == core->calls.end())
            return; // finished already
        std::shared_ptr<detail::http_call> call = it->second;
        call->cancel();
    });
}

void http_client::close() {
    boost::asio::post(impl_->io, [core = impl_] {
        core->closed = true;
        // Copied first: each cancel removes its call from the table.
        std::vector<std::shared_ptr<detail::http_call>> open;
        for (auto& kv : core->calls)
            open.push_back(kv.second);
        for (auto& call : open)
            call->cancel();
        core->pool.clear();
    });
}

std::size_t http_client::idle_connections() const {
    return impl_->pool.idle();
}

} // namespace gleitzeit::provider_io
