#pragma once
// The hub's face on the Socket.IO server: who may connect (tokens from [auth]) and with
// which roles (roles.hpp), the `echo` round trip that probes and benchmarks use, the admin
// events (admin.hpp), the workflow events (submit_workflow, query_status, cancel_workflow;
// pipeline.hpp) and the component registry (components.hpp). Observers are put in the
// rooms where progress is broadcast.

#include "config/settings.hpp"
#include "hub/admin.hpp"
#include "hub/components.hpp"
#include "hub/pipeline.hpp"
#include "sio/server/server.hpp"

#include <mutex>

namespace gleitzeit::hub {

class hub {
public:
    /// `workflows` and `registry` may be null: then their events are not offered.
    hub(sio::server& io, const config::settings& cfg, admin_services admin,
        pipeline* workflows = nullptr, std::shared_ptr<components> registry = nullptr);

    /// Takes the tokens of a reloaded config; connections made from now on are checked
    /// against them.
    void set_tokens(std::vector<config::auth_token> tokens);

private:
    void on_connection(const sio::socket_ptr& s);
    void install_workflow_events(const sio::socket_ptr& s, const access& who);
    /// The roles `auth` grants, or nullopt if it grants none (an unknown token). Without
    /// tokens configured, every connection has every role.
    std::optional<std::vector<std::string>> roles(const boost::json::value& auth) const;

    mutable std::mutex mutex_; // tokens_ changes on reload, while connections are checked
    std::vector<config::auth_token> tokens_;
    admin_services admin_;
    pipeline* workflows_;
    std::shared_ptr<components> registry_;
};

} // namespace gleitzeit::hub
