// gleitzeitd: the Gleitzeit event hub. Serves Socket.IO v5 and plain HTTP (/health,
// /metrics) on one port.

#include "config/directory_watch.hpp"
#include "config/reloader.hpp"
#include "config/settings.hpp"
#include "http/status.hpp"
#include "hub/hub.hpp"
#include "plugins/dropin.hpp"
#include "plugins/plugin_host.hpp"
#include "sio/http_server.hpp"
#include "sio/server.hpp"
#include "systemd/notify.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <filesystem>
#include <future>
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

It loads the plugins the config names ([slots.*], [[providers]]) and those in the drop-in
directory, then listens, and prints "listening on ADDRESS:PORT" on standard output.
SIGHUP, a change of the config file (with [plugins] watch) or the admin event reload_config
reloads the config: changed plugins are hot-swapped and connections stay open; an invalid
file is rejected with file:line:column and the running config stays. SIGHUP also loads the
drop-in files not loaded yet in their present version.
Under systemd (Type=notify) it sends READY=1 once it listens, and around each SIGHUP reload.
SIGINT and SIGTERM stop it; sessions are closed cleanly.
)";

struct arguments {
    std::string config = "/etc/gleitzeit/gleitzeit.toml";
    std::optional<std::uint16_t> port;
    std::optional<std::string> bind;
    std::optional<std::string> check;
};

/// A folder for the private copies of plugin files (DESIGN §7); the copies are unlinked as
/// soon as they are mapped, and the folder goes at exit.
struct private_dir {
    private_dir() {
        const char* runtime = std::getenv("RUNTIME_DIRECTORY"); // systemd's, when it has one
        auto base = runtime ? std::filesystem::path(runtime) : std::filesystem::temp_directory_path();
        std::string tmpl = (base / "gleitzeitd-plugins-XXXXXX").string();
        if (::mkdtemp(tmpl.data()))
            path = tmpl;
    }
    ~private_dir() {
        std::error_code ec;
        if (!path.empty())
            std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path path;
};

/// True for an address only this machine reaches: 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& bind) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(bind, ec);
    return ec ? bind == "localhost" : a.is_loopback();
}

void log_outcome(const gleitzeit::config::reload_outcome& o) {
    if (!o.ok) {
        std::cerr << "gleitzeitd: reload (" << o.trigger << ") rejected, running config kept: "
                  << o.error << std::endl;
        return;
    }
    std::cerr << "gleitzeitd: reload (" << o.trigger << ") applied"
              << (o.applied.empty() ? " (no changes)" : ":") << "\n";
    for (const auto& line : o.applied)
        std::cerr << "  " << line << "\n";
    for (const auto& line : o.restart_needed)
        std::cerr << "  " << line << "\n";
    std::cerr << std::flush;
}

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

    gleitzeit::config::settings file_cfg; // as the file says; the reloader diffs against it
    try {
        file_cfg = gleitzeit::config::load(args.config);
    } catch (const gleitzeit::config::config_error& e) {
        std::cerr << "gleitzeitd: " << e.what() << "\n";
        return 1;
    }
    auto cfg = file_cfg;
    if (args.port)
        cfg.server.port = *args.port;
    if (args.bind)
        cfg.server.bind = *args.bind;
    if (cfg.tokens.empty()) {
        // Every role for everyone is only safe where only this machine can connect.
        if (!is_loopback(cfg.server.bind)) {
            std::cerr << "gleitzeitd: [server].bind is " << cfg.server.bind
                      << ", which other machines can reach, and the config has no "
                         "[[auth.tokens]]: refusing to give every connection every role. Add "
                         "tokens, or bind 127.0.0.1.\n";
            return 1;
        }
        std::cerr << "gleitzeitd: no [[auth.tokens]] in the config: every connection has every "
                     "role (submit, observe, provider, component, admin); fine on "
                  << cfg.server.bind << " only\n";
    }

    const auto& s = cfg.server;
    sio::server_options opts;
    opts.engine.ping_interval = s.ping_interval;
    opts.engine.ping_timeout = s.ping_timeout;
    opts.engine.max_payload = s.max_payload;
    opts.connect_timeout = s.connect_timeout;

    boost::asio::io_context ioc;
    sio::http_server http(ioc, {s.cors_origins, s.max_connections});
    sio::server io(opts);

    private_dir copies;
    // What a plugin emits reaches the connections in room "plugins" (admins and observers).
    auto plugin_events = [&io](std::string_view event, boost::json::object payload) {
        io.of("/").to("plugins").emit(event, sio::message{boost::json::array{std::move(payload)}, {}});
    };
    gleitzeit::plugins::plugin_host plugins(
        ioc, {copies.path, cfg.plugins.drain_timeout, {}, plugin_events});
    std::shared_ptr<gleitzeit::config::reloader> reload;
    gleitzeit::hub::admin_services admin;
    admin.plugins = &plugins;
    admin.reload = [&reload](std::string trigger, std::function<void(boost::json::object)> done) {
        reload->reload(std::move(trigger), [done](const gleitzeit::config::reload_outcome& o) {
            log_outcome(o);
            done(o.to_json());
        });
    };
    gleitzeit::hub::pipeline workflows(
        ioc, plugins,
        [&io](const std::vector<std::string>& rooms, std::string_view event,
              boost::json::object payload) {
            auto b = io.of("/").to(rooms.front());
            for (std::size_t i = 1; i < rooms.size(); ++i)
                b.to(rooms[i]);
            b.emit(event, sio::message{boost::json::array{std::move(payload)}, {}});
        },
        cfg.state.keep_finished);
    auto registry = std::make_shared<gleitzeit::hub::components>(
        ioc, workflows,
        [&io](const std::string& room, std::string_view event, boost::json::object payload) {
            io.of("/").to(room).emit(event, sio::message{boost::json::array{std::move(payload)}, {}});
        },
        s.heartbeat_interval);
    gleitzeit::hub::hub hub(io, cfg, admin, &workflows, registry);
    reload = std::make_shared<gleitzeit::config::reloader>(
        args.config, gleitzeit::config::parse_options{}, file_cfg, plugins,
        [&hub](const gleitzeit::config::settings& next) { hub.set_tokens(next.tokens); });
    // A remote component fills a slot the running config marks remote; a slot that was empty
    // and got an instance (a plugin or a component) gets from the pipeline what it needs.
    registry->serve_slots(
        plugins,
        [&reload](gleitzeit::slot_kind kind) {
            auto running = reload->running();
            auto it = running.slots.find(kind);
            return it != running.slots.end() && it->second.remote;
        },
        std::chrono::milliseconds(10000));
    plugins.on_filled([&workflows, weak = std::weak_ptr(registry)](gleitzeit::slot_kind kind) {
        workflows.slot_filled(kind);
        if (auto r = weak.lock())
            r->slot_filled(kind);
    });
    http.mount(s.path, opts.engine, io);
    gleitzeit::http::status_info status;
    status.version = GLEITZEIT_VERSION;
    status.started = std::chrono::steady_clock::now();
    status.stats = &http.stats();
    status.health_extra = [&plugins, &reload] {
        return boost::json::object{{"slots", plugins.describe()},
                                   {"last_reload", reload->last().to_json()}};
    };
    status.metrics_extra = [&plugins] { return plugins.metrics_text(); };
    http.set_fallback(gleitzeit::http::status_handler(status));

    // The event loop runs from here on: loading plugins posts to their slots' strands.
    unsigned threads = s.threads ? s.threads : std::max(1u, std::thread::hardware_concurrency());
    auto guard = boost::asio::make_work_guard(ioc);
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    auto stop_pool = [&] {
        guard.reset();
        ioc.stop();
        for (auto& t : pool)
            t.join();
    };

    std::promise<gleitzeit::config::reload_outcome> started;
    reload->start([&started](const gleitzeit::config::reload_outcome& o) { started.set_value(o); });
    if (auto o = started.get_future().get(); !o.ok) {
        std::cerr << "gleitzeitd: cannot load the plugins of " << args.config << ": " << o.error
                  << "\n";
        stop_pool();
        return 1;
    }
    {
        std::promise<std::string> recovered;
        workflows.recover([&recovered](const std::string& summary) { recovered.set_value(summary); });
        std::cerr << "gleitzeitd: " << recovered.get_future().get() << std::endl;
    }
    std::unique_ptr<gleitzeit::plugins::dropin> dropins;
    std::unique_ptr<gleitzeit::config::directory_watch> config_watch;
    try {
        dropins = std::make_unique<gleitzeit::plugins::dropin>(
            ioc, cfg.plugins.dropin, cfg.plugins.watch, plugins,
            [](gleitzeit::log_level, const std::string& line) {
                std::cerr << "gleitzeitd: " << line << std::endl;
            },
            [&plugins, &reload](const std::string& provider) {
                // The config's own provider comes back when a drop-in that replaced it goes.
                for (const auto& p : reload->running().providers)
                    if (p.plugin == provider) {
                        std::cerr << "gleitzeitd: drop-in of provider " << provider
                                  << " removed: back to " << p.file << std::endl;
                        plugins.set_provider(p.file, p.config, [](const std::string&) {});
                        return true;
                    }
                return false;
            });
        if (cfg.plugins.watch) {
            auto file = std::filesystem::absolute(args.config);
            config_watch = std::make_unique<gleitzeit::config::directory_watch>(
                ioc, file.parent_path().string(),
                [&reload, name = file.filename().string()](auto change, const std::string& f) {
                    if (f == name && change == gleitzeit::config::directory_watch::change::written)
                        reload->reload("file change", log_outcome);
                });
        }
    } catch (const std::exception& e) {
        std::cerr << "gleitzeitd: " << e.what() << "\n";
        stop_pool();
        return 1;
    }

    // The signals are ours before "listening" is printed: whoever reads that line may send
    // one at once.
    boost::asio::signal_set hangup(ioc, SIGHUP);
    std::function<void(boost::system::error_code, int)> on_hangup =
        [&](boost::system::error_code ec, int) {
            if (ec)
                return;
            gleitzeit::systemd::notify("RELOADING=1");
            if (dropins) // also picks up drop-ins the directory watch did not load
                dropins->rescan();
            reload->reload("SIGHUP", [](const gleitzeit::config::reload_outcome& o) {
                log_outcome(o);
                gleitzeit::systemd::notify(o.ok ? "READY=1\nSTATUS=reload applied"
                                                : "READY=1\nSTATUS=reload rejected, running config kept");
            });
            hangup.async_wait(on_hangup);
        };
    hangup.async_wait(on_hangup);

    boost::asio::signal_set stop_signals(ioc, SIGINT, SIGTERM);
    boost::asio::steady_timer grace(ioc);
    stop_signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec)
            return;
        std::cerr << "gleitzeitd: signal " << sig << ", closing sessions\n";
        gleitzeit::systemd::notify("STOPPING=1");
        http.stop();
        hangup.cancel();
        // A short grace lets the close packets and WebSocket close frames reach the peers.
        grace.expires_after(std::chrono::milliseconds(200));
        grace.async_wait([&](boost::system::error_code) { ioc.stop(); });
    });
    std::uint16_t port = 0;
    try {
        port = http.listen(s.bind, s.port);
    } catch (const std::exception& e) {
        std::cerr << "gleitzeitd: " << e.what() << "\n";
        stop_pool();
        return 1;
    }
    std::cout << "listening on " << s.bind << ":" << port << std::endl;
    // Only now is the service ready for systemd (Type=notify): clients can connect.
    gleitzeit::systemd::notify("READY=1\nSTATUS=listening on " + s.bind + ":" + std::to_string(port));

    for (auto& t : pool)
        t.join();
    return 0;
}
