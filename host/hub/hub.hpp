#pragma once
// The hub's face on the Socket.IO server: who may connect (tokens from [auth]), the `echo`
// round trip that probes and benchmarks use, the admin events (admin.hpp) and the workflow
// events (submit_workflow, query_status, cancel_workflow; pipeline.hpp). The component
// registry and remote components build on this.

#include "config/settings.hpp"
#include "hub/admin.hpp"
#include "hub/pipeline.hpp"
#include "sio/server.hpp"

#include <mutex>

namespace gleitzeit::hub {

class hub {
public:
    /// `workflows` may be null: then the workflow events are not offered.
    hub(sio::server& io, const config::settings& cfg, admin_services admin,
        pipeline* workflows = nullptr);

    /// Takes the tokens of a reloaded config; connections made from now on are checked
    /// against them.
    void set_tokens(std::vector<config::auth_token> tokens);

private:
    void on_connection(const sio::socket_ptr& s);
    void install_workflow_events(const sio::socket_ptr& s);
    /// The roles `auth` grants, or nullopt if it grants none (an unknown token). Without
    /// tokens configured, every connection has every role.
    std::optional<std::vector<std::string>> roles(const boost::json::value& auth) const;

    mutable std::mutex mutex_; // tokens_ changes on reload, while connections are checked
    std::vector<config::auth_token> tokens_;
    admin_services admin_;
    pipeline* workflows_;
};

} // namespace gleitzeit::hub
