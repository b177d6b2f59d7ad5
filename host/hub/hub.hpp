#pragma once
// The hub's face on the Socket.IO server. Today: who may connect (tokens from [auth]), the
// `echo` round trip that probes and benchmarks use, and the admin events (admin.hpp). The
// workflow pipeline, the component registry and the observer rooms build on this.

#include "config/settings.hpp"
#include "hub/admin.hpp"
#include "sio/server.hpp"

#include <mutex>

namespace gleitzeit::hub {

class hub {
public:
    hub(sio::server& io, const config::settings& cfg, admin_services admin);

    /// Takes the tokens of a reloaded config; connections made from now on are checked
    /// against them.
    void set_tokens(std::vector<config::auth_token> tokens);

private:
    void on_connection(const sio::socket_ptr& s);
    /// The roles `auth` grants, or nullopt if it grants none (an unknown token). Without
    /// tokens configured, every connection has every role.
    std::optional<std::vector<std::string>> roles(const boost::json::value& auth) const;

    mutable std::mutex mutex_; // tokens_ changes on reload, while connections are checked
    std::vector<config::auth_token> tokens_;
    admin_services admin_;
};

} // namespace gleitzeit::hub
