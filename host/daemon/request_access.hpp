#pragma once
// Which browsers and names may reach gleitzeitd (docs/security.md): the request guard the
// config asks for, and the log line of a refusal.

#include "config/settings.hpp"
#include "sio/server/http_server.hpp"

#include <string>

namespace gleitzeit::daemon {

/// [server] allowed_hosts, or when it is empty the names a client of this hub may use: the
/// bind address (every address of this machine, for 0.0.0.0 or ::), localhost, the loopback
/// addresses and the host name. [server] allowed_origins only with [[auth.tokens]]: without
/// tokens a page from any other origin would get every role.
sio::request_guard request_guard_of(const config::settings& cfg, const std::string& bind);

/// Logs refused requests as warnings, one line a second at most: a page that retries in a
/// loop must not flood the journal. The metric counts every one.
sio::refusal_handler refusal_logger();

} // namespace gleitzeit::daemon
