// gleitzeitd: the Gleitzeit event hub. Serves Socket.IO v5 and plain HTTP (/health,
// /metrics) on one port. main() reads the command line; host/daemon runs the hub.

#include "auth/token_digest.hpp"
#include "daemon/daemon.hpp"

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#ifndef GLEITZEIT_VERSION
#define GLEITZEIT_VERSION "0.0.0"
#endif

namespace {

constexpr const char* help_text = R"(usage: gleitzeitd [options]

The Gleitzeit event hub: Socket.IO v5 (Engine.IO v4, long-polling and WebSocket) for
components and clients, and GET /health and /metrics over plain HTTP, on one port.

options:
  --config FILE        config file (default /etc/gleitzeit/gleitzeit.toml)
  --port N             listen on port N instead of [server].port (0 picks a free port)
  --bind ADDRESS       listen on ADDRESS instead of [server].bind
  --check-config FILE  validate FILE, print what is wrong as file:line:column, and exit
  --hash-token         read a token from standard input (one line) and print the
                       [[auth.tokens]] line that names it by its SHA-256:
                       token_sha256 = "..."; the config then need not hold the token
  --version            print the version and exit
  --help               print this help and exit

It loads the plugins the config names ([slots.*], [[providers]]) and those in the drop-in
directory, then listens, and prints "listening on ADDRESS:PORT" on standard output.
SIGHUP, a change of the config file (with [plugins] watch) or the admin event reload_config
reloads the config: changed plugins are hot-swapped and connections stay open; an invalid
file is rejected with file:line:column and the running config stays. SIGHUP also loads the
drop-in files not loaded yet in their present version.
Under systemd (Type=notify) it sends READY=1 once it listens, and around each SIGHUP reload.
SIGINT and SIGTERM stop it: new workflows are refused, the tasks in flight may finish for up
to [server] drain_timeout (10 s), then sessions are closed cleanly. A second signal stops at once.
)";

struct arguments {
    gleitzeit::daemon::options run;
    std::optional<std::string> check; // --check-config FILE
    bool hash_token = false;
};

[[noreturn]] void usage_error(const std::string& why) {
    std::cerr << "gleitzeitd: " << why << "\n(see gleitzeitd --help)\n";
    std::exit(2);
}

arguments parse_arguments(int argc, char** argv) {
    arguments a;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage_error(std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::cout << help_text;
            std::exit(0);
        } else if (arg == "--version") {
            std::cout << "gleitzeitd " << GLEITZEIT_VERSION << "\n";
            std::exit(0);
        } else if (arg == "--config") {
            a.run.config = value();
        } else if (arg == "--check-config") {
            a.check = value();
        } else if (arg == "--hash-token") {
            a.hash_token = true;
        } else if (arg == "--bind") {
            a.run.bind = value();
        } else if (arg == "--port") {
            auto v = value();
            std::uint16_t port = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
            if (ec != std::errc{} || p != v.data() + v.size())
                usage_error("--port needs a number from 0 to 65535, got '" + v + "'");
            a.run.port = port;
        } else {
            usage_error("unknown argument '" + std::string(arg) + "'");
        }
    }
    return a;
}

/// --hash-token: from standard input, so that the token stays out of the shell's history
/// and the process list.
int hash_token() {
    std::string token;
    std::getline(std::cin, token);
    if (!token.empty() && token.back() == '\r')
        token.pop_back();
    if (token.empty()) {
        std::cerr << "gleitzeitd: --hash-token reads the token from standard input, and got "
                     "an empty line\n";
        return 2;
    }
    std::cout << "token_sha256 = \"" << gleitzeit::auth::token_sha256(token) << "\"\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    auto args = parse_arguments(argc, argv);
    if (args.hash_token)
        return hash_token();
    if (args.check)
        return gleitzeit::daemon::check_config(*args.check);
    return gleitzeit::daemon::run(args.run);
}
