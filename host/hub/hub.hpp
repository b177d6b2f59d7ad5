#pragma once
// The hub's face on the Socket.IO server. Today: who may connect (tokens from [auth]) and
// the `echo` round trip that probes and benchmarks use. The workflow pipeline, the
// component registry and the observer rooms build on this.

#include "config/settings.hpp"
#include "sio/server.hpp"

namespace gleitzeit::hub {

class hub {
public:
    hub(sio::server& io, const config::settings& cfg);

private:
    void on_connection(const sio::socket_ptr& s);

    std::vector<config::auth_token> tokens_;
};

} // namespace gleitzeit::hub
