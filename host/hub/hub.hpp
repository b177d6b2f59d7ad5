#pragma once
// The hub's face on the Socket.IO server: who may connect (tokens from [auth]) and with
// which roles (roles.hpp), the `echo` round trip that probes and benchmarks use, the admin
// events (admin.hpp), the workflow events (submit_workflow, query_status, cancel_workflow;
// pipeline.hpp) and the component registry (components.hpp). Observers get into the
// rooms where progress is broadcast as rooms.hpp says.

#include "config/settings.hpp"
#include "hub/admin.hpp"
#include "hub/clock.hpp"
#include "hub/components.hpp"
#include "hub/pipeline.hpp"
#include "hub/rate_limit.hpp"
#include "sio/server/server.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

namespace gleitzeit::hub {

class hub {
public:
    /// `workflows` and `registry` may be null: then their events are not offered. `time`
    /// delays the end of a revoked token's connections.
    hub(sio::server& io, const config::settings& cfg, admin_services admin, clock& time,
        pipeline* workflows = nullptr, std::shared_ptr<components> registry = nullptr);

    /// Takes the tokens of a reloaded config: connections made from now on are checked
    /// against them, and those made with a token that is gone, or whose roles changed, are
    /// disconnected once `grace` has passed (docs/security.md, "Tokens").
    void set_tokens(std::vector<config::auth_token> tokens, std::chrono::milliseconds grace);
    /// Takes a reloaded [limits] (rate_limit.hpp).
    void set_limits(const config::limit_settings& limits) { submissions_.set(limits); }

private:
    void on_connection(const sio::socket_ptr& s);
    void install_workflow_events(const sio::socket_ptr& s, const access& who);
    /// The entry of the token `auth` presents, or null (no token, or an unknown one). The
    /// presented token is hashed and compared with every digest in constant time. Call under
    /// mutex_.
    const config::auth_token* match(const boost::json::value& auth) const;
    /// The roles `auth` grants, or nullopt if it grants none (an unknown token). Without
    /// tokens configured, every connection has every role.
    std::optional<std::vector<std::string>> roles(const boost::json::value& auth) const;
    /// Notes that `s` connected with the token whose digest is `sha256`.
    void hold(const std::string& sha256, const sio::socket_ptr& s);

    clock& clock_;
    mutable std::mutex mutex_; // the tokens change on reload, while connections are checked
    std::vector<config::auth_token> tokens_;
    // The connections made with each token, by digest: a reload that revokes it ends them.
    std::map<std::string, std::vector<std::weak_ptr<sio::socket>>> holders_;
    std::vector<std::unique_ptr<alarm>> revocations_; // pending grace periods
    rate_limit submissions_; // submit_workflow per token ([limits])
    admin_services admin_;
    pipeline* workflows_;
    std::shared_ptr<components> registry_;
};

} // namespace gleitzeit::hub
