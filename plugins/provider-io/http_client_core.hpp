#pragma once
// What the calls of one http_client share: the io_context, the TLS context, the pool of idle
// connections and the open calls (for cancel and close). Internal to provider-io. Everything
// but the atomics is touched on the io thread only.

#include "http_client.hpp"
#include "http_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>
#include <unordered_map>

namespace gleitzeit::provider_io::detail {

class http_call;

struct client_core {
    client_core(boost::asio::io_context& io_context, const tls_options& tls);

    boost::asio::io_context& io;
    boost::asio::ssl::context tls_context;
    connection_pool pool;
    std::unordered_map<http_client::call_id, std::shared_ptr<http_call>> calls;
    bool closed = false; // after close(): new calls end at once with `cancelled`
    std::atomic<http_client::call_id> next_id{0};
};

} // namespace gleitzeit::provider_io::detail
