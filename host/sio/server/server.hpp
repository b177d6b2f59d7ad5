#pragma once
// The Socket.IO v5 server: namespaces on top of an Engine.IO endpoint. Mount it on an
// http_server at its path, then configure namespaces with of().
//
//   sio::server io(opts);
//   http.mount("/socket.io/", opts.engine, io);
//   io.of("/").on_connection([](const sio::socket_ptr& s) {
//       s->on("echo", [](sio::message& m, const sio::socket::ack_fn& ack) { if (ack) ack(m); });
//   });

#include "sio/server/engine_options.hpp"
#include "sio/server/nsp.hpp"
#include "sio/server/session_handler.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace gleitzeit::sio {

struct server_options {
    engine::options engine;
    /// A session that joins no namespace within this time is closed.
    std::chrono::milliseconds connect_timeout{45000};
};

class server : public engine::session_handler {
public:
    explicit server(server_options opts = {});

    /// The namespace called `name`, created on first use.
    nsp& of(const std::string& name);
    /// The namespace called `name`, or null if nobody created it.
    nsp* find(std::string_view name);
    const server_options& options() const { return options_; }

    void on_open(const std::shared_ptr<engine::session>& s) override;
    void on_message(const std::shared_ptr<engine::session>& s, std::string_view data,
                    bool binary) override;
    void on_close(const std::shared_ptr<engine::session>& s, const std::string& reason) override;

private:
    server_options options_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<nsp>, std::less<>> namespaces_;
};

} // namespace gleitzeit::sio
