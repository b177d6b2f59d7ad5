#pragma once
// gleitzeitd as a process (docs/architecture.md, "Layers"): builds the io_context, the
// Socket.IO server, the plugin host, the hub and the reloader, connects them, and runs until
// SIGINT or SIGTERM. main() only parses the command line and calls run().

#include <cstdint>
#include <optional>
#include <string>

namespace gleitzeit::daemon {

/// What the command line says; the config file says the rest.
struct options {
    std::string config = "/etc/gleitzeit/gleitzeit.toml";
    std::optional<std::uint16_t> port;  // instead of [server].port
    std::optional<std::string> bind;    // instead of [server].bind
};

/// Runs the hub until a stop signal; the process's exit status.
int run(const options& opts);

/// --check-config: validates `path`, prints "PATH: ok" or what is wrong as
/// file:line:column; the process's exit status.
int check_config(const std::string& path);

} // namespace gleitzeit::daemon
