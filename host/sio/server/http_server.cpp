#include "sio/server/http_server.hpp"

#include "sio/server/engine_endpoint.hpp"
#include "sio/server/http_connection.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include <system_error>

namespace gleitzeit::sio {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct http_server::impl : std::enable_shared_from_this<impl> {
    impl(asio::io_context& ioc, http_options opts)
        : state(std::make_shared<http_server_state>(ioc, std::move(opts))), acceptor(ioc) {}

    void accept() {
        auto strand = asio::make_strand(state->ioc);
        acceptor.async_accept(strand, [self = shared_from_this(),
                                       strand](boost::system::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !self->acceptor.is_open())
                return;
            if (!ec) {
                auto limit = self->state->options.max_connections;
                auto open = static_cast<std::size_t>(self->state->stats.tcp_connections.load());
                if (limit && open >= limit) {
                    // Over the limit: refuse by closing, before any memory is spent on it.
                    boost::system::error_code ignored;
                    socket.close(ignored);
                } else {
                    socket.set_option(tcp::no_delay(true), ec);
                    std::make_shared<http_connection>(std::move(socket), strand, self->state)
                        ->run();
                }
            }
            self->accept();
        });
    }

    std::shared_ptr<http_server_state> state;
    tcp::acceptor acceptor;
};

http_server::http_server(asio::io_context& ioc, http_options opts)
    : impl_(std::make_shared<impl>(ioc, std::move(opts))) {}

http_server::~http_server() {
    stop();
}

std::shared_ptr<engine::endpoint> http_server::mount(std::string path, engine::options opts,
                                                     engine::session_handler& handler) {
    auto ep = std::make_shared<engine::endpoint>(std::move(opts), handler, impl_->state->stats);
    impl_->state->mounts.emplace_back(std::move(path), ep);
    return ep;
}

void http_server::set_fallback(http_handler handler) {
    impl_->state->fallback = std::move(handler);
}

void http_server::set_guard(request_guard guard) {
    impl_->state->guard.store(std::make_shared<const request_guard>(std::move(guard)));
}

std::uint16_t http_server::listen(const std::string& address, std::uint16_t port) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(address, ec);
    if (ec)
        throw std::system_error(ec, "invalid bind address '" + address + "'");
    tcp::endpoint where(addr, port);
    auto& a = impl_->acceptor;
    a.open(where.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(where, ec);
    if (ec)
        throw std::system_error(ec, "cannot bind " + address + ":" + std::to_string(port));
    a.listen(asio::socket_base::max_listen_connections);
    impl_->accept();
    return a.local_endpoint().port();
}

void http_server::stop() {
    if (!impl_)
        return;
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    for (auto& [path, ep] : impl_->state->mounts)
        ep->close_all("server shutdown");
}

metrics& http_server::stats() {
    return impl_->state->stats;
}

} // namespace gleitzeit::sio
