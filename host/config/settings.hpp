#pragma once
// The model of gleitzeit.toml (docs/operations.md, "The config file"): [server], [auth], [log]
// here, and [state], [plugins], [slots.<slot>] and [[providers]] in plugin_settings.hpp. Loading
// validates everything and reports file:line:column.

#include "config/plugin_settings.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::config {

struct server_settings {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 6680;
    std::string path = "/socket.io/";
    /// Origins a browser page may connect from besides the hub's own; "*" allows any. Only
    /// with [[auth.tokens]]: without them every foreign origin is refused (docs/security.md).
    std::vector<std::string> allowed_origins;
    /// Names a request's Host header may carry; empty: the bind address, localhost, this
    /// machine's name and addresses (docs/security.md, "Host").
    std::vector<std::string> allowed_hosts;
    std::chrono::milliseconds ping_interval{25000};
    std::chrono::milliseconds ping_timeout{20000};
    std::chrono::milliseconds connect_timeout{45000};
    std::chrono::milliseconds heartbeat_interval{10000}; // hub -> registered components
    /// How long SIGTERM lets the tasks in flight finish before the hub exits (docs/operations.md,
    /// "Stopping"); within systemd's TimeoutStopSec.
    std::chrono::milliseconds drain_timeout{10000};
    std::size_t max_payload = 1'000'000;
    /// The most bytes waiting to go out to one connection before it is closed as a slow
    /// consumer; 0: 2 × max_payload + 8 MB (docs/operations.md).
    std::size_t max_buffered = 0;
    std::size_t max_connections = 10'000;
    /// How long a connection may take to send a request's headers before it is closed.
    std::chrono::milliseconds request_timeout{60000};
    unsigned threads = 0; // 0: one per hardware thread
};

/// The roles a token can grant (docs/events.md, "Roles").
inline constexpr const char* role_names[] = {"submit", "observe", "provider", "component", "admin"};

/// A token a client presents in its CONNECT auth payload ({"token": "..."}), kept as its
/// SHA-256 (auth/token_digest.hpp), and the roles it grants, each one of role_names.
struct auth_token {
    std::string sha256;
    std::vector<std::string> roles;

    bool operator==(const auth_token&) const = default;
};

/// [limits]: what one client may ask of the hub (docs/operations.md, "The config file").
struct limit_settings {
    /// submit_workflow per second, per token (per connection without tokens); 0: no limit.
    double submissions_per_second = 0;
    /// How many may come at once before the rate applies; 0: twice the rate, at least 1.
    unsigned submission_burst = 0;

    bool operator==(const limit_settings&) const = default;
};

struct log_settings {
    std::string level = "info";
};

struct settings {
    server_settings server;
    std::vector<auth_token> tokens; // none: every connection is let in (loopback default)
    /// How long the connections made with a token a reload removed may stay ([auth]).
    std::chrono::milliseconds revoke_grace{0};
    log_settings log;
    limit_settings limits;
    state_settings state;
    plugins_settings plugins;
    slot_map slots;                           // the slots the file configures
    std::vector<provider_settings> providers; // in file order
};

/// A config that cannot be used; what() reads "file:line:column: reason".
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct parse_options {
    /// Refuse a plugin file that does not exist. `--check-config` on a build machine, which
    /// has the config but not the plugins, turns it off.
    bool check_plugin_files = true;
    /// Relative paths resolve against it. Empty: the directory of the file (load) or of
    /// `source` (parse).
    std::string base_directory;
};

/// Reads and validates a config file. Throws config_error.
settings load(const std::string& path);
settings load(const std::string& path, const parse_options& options);
/// Validates config text; `source` names it in errors. Throws config_error.
settings parse(std::string_view text, const std::string& source);
settings parse(std::string_view text, const std::string& source, const parse_options& options);

} // namespace gleitzeit::config
