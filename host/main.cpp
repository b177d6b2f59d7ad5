// gleitzeitd: the Gleitzeit event hub. Serves Socket.IO v5 and plain HTTP (/health,
// /metrics) on one port.

#include "config/settings.hpp"
#include "http/status.hpp"
#include "hub/hub.hpp"
#include "sio/http_server.hpp"
#include "sio/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

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
  --version            print the version and exit
  --help               print this help and exit

Once listening it prints "listening on ADDRESS:PORT" on standard output.
SIGINT and SIGTERM stop it; sessions are closed cleanly.
)";

struct arguments {
    std::string config = "/etc/gleitzeit/gleitzeit.toml";
    std::optional<std::uint16_t> port;
    std::optional<std::string> bind;
    std::optional<std::string> check;
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
            a.config = value();
        } else if (arg == "--check-config") {
            a.check = value();
        } else if (arg == "--bind") {
            a.bind = value();
        } else if (arg == "--port") {
            auto v = value();
            std::uint16_t port = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
            if (ec != std::errc{} || p != v.data() + v.size())
                usage_error("--port needs a number from 0 to 65535, got '" + v + "'");
            a.port = port;
        } else {
            usage_error("unknown argument '" + std::string(arg) + "'");
        }
    }
    return a;
}

} // namespace

int main(int argc, char** argv) {
    namespace sio = gleitzeit::sio;
    auto args = parse_arguments(argc, argv);

    if (args.check) {
        try {
            gleitzeit::config::load(*args.check);
            std::cout << *args.check << ": ok\n";
            return 0;
        } catch (const gleitzeit::config::config_error& e) {
            std::cerr << e.what() << "\n";
            return 1;
        }
    }

    gleitzeit::config::settings cfg;
    try {
        cfg = gleitzeit::config::load(args.config);
    } catch (const gleitzeit::config::config_error& e) {
        std::cerr << "gleitzeitd: " << e.what() << "\n";
        return 1;
    }
    if (args.port)
        cfg.server.port = *args.port;
    if (args.bind)
        cfg.server.bind = *args.bind;

    const auto& s = cfg.server;
    sio::server_options opts;
    opts.engine.ping_interval = s.ping_interval;
    opts.engine.ping_timeout = s.ping_timeout;
    opts.engine.max_payload = s.max_payload;
    opts.connect_timeout = s.connect_timeout;

    boost::asio::io_context ioc;
    sio::http_server http(ioc, {s.cors_origins, s.max_connections});
    sio::server io(opts);
    gleitzeit::hub::hub hub(io, cfg);
    http.mount(s.path, opts.engine, io);
    http.set_fallback(gleitzeit::http::status_handler(
        {GLEITZEIT_VERSION, std::chrono::steady_clock::now(), &http.stats()}));

    std::uint16_t port = 0;
    try {
        port = http.listen(s.bind, s.port);
    } catch (const std::exception& e) {
        std::cerr << "gleitzeitd: " << e.what() << "\n";
        return 1;
    }
    std::cout << "listening on " << s.bind << ":" << port << std::endl;

    boost::asio::signal_set stop_signals(ioc, SIGINT, SIGTERM);
    boost::asio::steady_timer grace(ioc);
    stop_signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec)
            return;
        std::cerr << "gleitzeitd: signal " << sig << ", closing sessions\n";
        http.stop();
        // A short grace lets the close packets and WebSocket close frames reach the peers.
        grace.expires_after(std::chrono::milliseconds(200));
        grace.async_wait([&](boost::system::error_code) { ioc.stop(); });
    });

    unsigned threads = s.threads ? s.threads : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool)
        t.join();
    return 0;
}
