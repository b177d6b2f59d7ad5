#include "daemon/daemon.hpp"

#include "config/settings.hpp"
#include "daemon/memory_return.hpp"
#include "daemon/plugin_slots.hpp"
#include "daemon/request_access.hpp"
#include "http/status.hpp"
#include "hub/clock.hpp"
#include "hub/hub.hpp"
#include "log/log.hpp"
#include "plugins/plugin_host.hpp"
#include "reload/directory_watch.hpp"
#include "reload/dropin.hpp"
#include "reload/reloader.hpp"
#include "sio/server/http_server.hpp"
#include "sio/server/server.hpp"
#include "systemd/notify.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <iostream>
#include <span>
#include <thread>
#include <vector>

#ifndef GLEITZEIT_VERSION
#define GLEITZEIT_VERSION "0.0.0"
#endif

namespace gleitzeit::daemon {
namespace {

/// A folder for the private copies of plugin files (docs/architecture.md, "Hot swap"); the
/// copies are unlinked as soon as they are mapped, and the folder goes at exit.
struct private_dir {
    private_dir() {
        const char* runtime = std::getenv("RUNTIME_DIRECTORY"); // systemd's, when it has one
        auto base =
            runtime ? std::filesystem::path(runtime) : std::filesystem::temp_directory_path();
        std::string tmpl = (base / "gleitzeitd-plugins-XXXXXX").string();
        if (::mkdtemp(tmpl.data()))
            path = tmpl;
    }
    ~private_dir() {
        std::error_code ec;
        if (!path.empty())
            std::filesystem::remove_all(path, ec);
    }
    private_dir(const private_dir&) = delete;
    private_dir& operator=(const private_dir&) = delete;
    std::filesystem::path path;
};

/// True for an address only this machine reaches: 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& bind) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(bind, ec);
    return ec ? bind == "localhost" : a.is_loopback();
}

void log_outcome(const reload::reload_outcome& o) {
    if (!o.ok) {
        log::error("reload (" + o.trigger + ") rejected, running config kept: " + o.error);
        return;
    }
    // One write, so that the lines of one reload stay together.
    std::string text =
        "reload (" + o.trigger + ") applied" + (o.applied.empty() ? " (no changes)" : ":");
    for (const auto& line : o.applied)
        text += "\n  " + line;
    for (const auto& line : o.restart_needed)
        text += "\n  " + line;
    log::info(text);
}

/// Sends `event` with `payload` once to everyone in any of `rooms`: the one shape every part
/// that emits (plugins, the pipeline, the component registry) is given.
void emit_to(sio::server& io, std::span<const std::string> rooms, std::string_view event,
             boost::json::object payload) {
    auto b = io.of("/").to(rooms.front());
    for (std::size_t i = 1; i < rooms.size(); ++i)
        b.to(rooms[i]);
    b.emit(event, sio::message{boost::json::array{std::move(payload)}, {}});
}

/// The config file with the command line's overrides, or why the hub must not start.
std::optional<config::settings> effective_settings(const config::settings& file_cfg,
                                                   const options& opts) {
    auto cfg = file_cfg;
    if (opts.port)
        cfg.server.port = *opts.port;
    if (opts.bind)
        cfg.server.bind = *opts.bind;
    if (!cfg.tokens.empty())
        return cfg;
    // Every role for everyone is only safe where only this machine can connect.
    if (!is_loopback(cfg.server.bind)) {
        log::error("[server].bind is " + cfg.server.bind +
                   ", which other machines can reach, and the config has no [[auth.tokens]]: "
                   "refusing to give every connection every role. Add tokens, or bind "
                   "127.0.0.1.");
        return std::nullopt;
    }
    log::warn("no [[auth.tokens]] in the config: every connection has every role (submit, "
              "observe, provider, component, admin); fine on " +
              cfg.server.bind + " only");
    return cfg;
}

sio::server_options server_options(const config::server_settings& s) {
    sio::server_options opts;
    opts.engine.ping_interval = s.ping_interval;
    opts.engine.ping_timeout = s.ping_timeout;
    opts.engine.max_payload = s.max_payload;
    // One message up to max_payload always fits, with room for what queues behind it.
    opts.engine.max_buffered =
        s.max_buffered ? s.max_buffered : 2 * s.max_payload + std::size_t{8'000'000};
    opts.connect_timeout = s.connect_timeout;
    return opts;
}

/// The process: every part, declared in the order they are built, so that they go in the
/// reverse order.
class process {
public:
    process(options opts, config::settings file_cfg, config::settings cfg);
    int run();

private:
    void build_hub();
    void plugin_emitted(const std::string& slot, std::string_view event,
                        boost::json::object payload);
    void serve_status();
    void start_pool();
    void stop_pool();
    bool load_plugins();
    void recover();
    void watch_files();
    void on_hangup(boost::system::error_code ec);
    void catch_signals();
    void close_sessions();

    options opts_;
    config::settings cfg_;
    boost::asio::io_context ioc_;
    sio::server_options server_opts_;
    sio::http_server http_;
    memory_return memory_;
    sio::server io_;
    private_dir copies_;
    plugins::plugin_host plugins_;
    plugin_slots slots_;
    std::unique_ptr<hub::clock> clock_;
    std::shared_ptr<reload::reloader> reload_;
    hub::admin_services admin_;
    std::unique_ptr<hub::pipeline> workflows_;
    std::shared_ptr<hub::components> registry_;
    std::unique_ptr<hub::hub> hub_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::vector<std::thread> pool_;
    std::unique_ptr<reload::dropin> dropins_;
    std::unique_ptr<reload::directory_watch> config_watch_;
    // Made by catch_signals(), not before: until then SIGHUP and SIGTERM keep their default
    // action and end a hub that has not started.
    std::optional<boost::asio::signal_set> hangup_;
    std::optional<boost::asio::signal_set> stop_signals_;
    boost::asio::steady_timer grace_;
    std::atomic<bool> closing_{false}; // by the drain's end or a second signal, whichever is first
};

process::process(options opts, config::settings file_cfg, config::settings cfg)
    : opts_(std::move(opts)), cfg_(std::move(cfg)), server_opts_(server_options(cfg_.server)),
      http_(ioc_, {request_guard_of(cfg_, cfg_.server.bind), cfg_.server.max_connections,
                   refusal_logger(), cfg_.server.request_timeout}),
      memory_(ioc_, http_.stats()), io_(server_opts_),
      // What a plugin emits reaches the connections in room "plugins" (admins and observers).
      plugins_(ioc_, {copies_.path,
                      cfg_.plugins.drain_timeout,
                      {},
                      [this](const std::string& slot, std::string_view event,
                             boost::json::object payload) {
                          plugin_emitted(slot, event, std::move(payload));
                      }}),
      slots_(plugins_), clock_(hub::real_clock(ioc_)), guard_(boost::asio::make_work_guard(ioc_)),
      grace_(ioc_) {
    build_hub();
    // The reloader diffs against the file as it is, without the command line's overrides.
    reload_ = std::make_shared<reload::reloader>(
        opts_.config, config::parse_options{}, std::move(file_cfg), plugins_,
        [this](const config::settings& next) {
            // bind needs a restart: the running one is what clients name in Host.
            http_.set_guard(request_guard_of(next, cfg_.server.bind));
            hub_->set_tokens(next.tokens, next.revoke_grace);
            hub_->set_limits(next.limits);
        });
    serve_status();
}

/// What a plugin emits reaches the connections in room "plugins" (admins and observers),
/// except what a provider tells the pipeline (docs/plugins.md, section 4): the progress of
/// one of its calls goes to that workflow's room, and a change of its protocols to the
/// registry.
void process::plugin_emitted(const std::string& slot, std::string_view event,
                             boost::json::object payload) {
    constexpr std::string_view provider_prefix = "provider:";
    if (slot.starts_with(provider_prefix) && workflows_) {
        if (event == "task_progress")
            return workflows_->progress(slot.substr(provider_prefix.size()), std::move(payload));
        if (event == "protocols_changed")
            return workflows_->providers_changed();
    }
    static const std::string room = "plugins";
    emit_to(io_, {&room, 1}, event, std::move(payload));
}

/// The hub and the parts it serves: the admin events, the workflow pipeline and the
/// component registry. A remote component fills a slot the running config marks remote; a
/// slot that was empty and got an instance (a plugin or a component) gets from the pipeline
/// what it needs.
void process::build_hub() {
    admin_.control = &slots_;
    admin_.slots = &slots_;
    admin_.reload = [this](std::string trigger, std::function<void(boost::json::object)> done) {
        reload_->reload(std::move(trigger), [done](const reload::reload_outcome& o) {
            log_outcome(o);
            done(o.to_json());
        });
    };
    workflows_ = std::make_unique<hub::pipeline>(
        ioc_, slots_, *clock_,
        [this](const std::vector<std::string>& rooms, std::string_view event,
               boost::json::object payload) { emit_to(io_, rooms, event, std::move(payload)); },
        // max_payload bounds what the hub sends too: a larger result fails its task.
        cfg_.state.keep_finished, cfg_.server.max_payload, cfg_.state.keep_finished_tasks);
    registry_ = std::make_shared<hub::components>(
        ioc_, *workflows_,
        [this](const std::string& room, std::string_view event, boost::json::object payload) {
            emit_to(io_, {&room, 1}, event, std::move(payload));
        },
        cfg_.server.heartbeat_interval);
    hub_ = std::make_unique<hub::hub>(io_, cfg_, admin_, *clock_, workflows_.get(), registry_);
    registry_->serve_slots(
        slots_, [this](slot_kind kind) { return reload_->configured_remote(kind); },
        cfg_.plugins.remote_timeout);
    plugins_.on_filled([this, weak = std::weak_ptr(registry_)](slot_kind kind) {
        workflows_->slot_filled(kind);
        if (auto r = weak.lock())
            r->slot_filled(kind);
    });
}

void process::serve_status() {
    http_.mount(cfg_.server.path, server_opts_.engine, io_);
    http::status_info status;
    status.version = GLEITZEIT_VERSION;
    status.started = std::chrono::steady_clock::now();
    status.stats = &http_.stats();
    status.health_extra = [this] {
        return boost::json::object{{"slots", plugins_.describe()},
                                   {"last_reload", reload_->last().to_json()}};
    };
    status.metrics_extra = [this] { return plugins_.metrics_text(); };
    http_.set_fallback(http::status_handler(status));
}

void process::start_pool() {
    unsigned threads = cfg_.server.threads ? cfg_.server.threads
                                           : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i)
        pool_.emplace_back([this] { ioc_.run(); });
}

void process::stop_pool() {
    guard_.reset();
    ioc_.stop();
    for (auto& t : pool_)
        t.join();
}

bool process::load_plugins() {
    std::promise<reload::reload_outcome> started;
    reload_->start([&started](const reload::reload_outcome& o) { started.set_value(o); });
    auto o = started.get_future().get();
    if (!o.ok)
        log::error("cannot load the plugins of " + opts_.config + ": " + o.error);
    return o.ok;
}

void process::recover() {
    std::promise<std::string> recovered;
    workflows_->recover([&recovered](const std::string& summary) { recovered.set_value(summary); });
    log::info(recovered.get_future().get());
}

/// The drop-in directory, and the config file itself with [plugins] watch. Throws when a
/// directory cannot be watched.
void process::watch_files() {
    dropins_ = std::make_unique<reload::dropin>(ioc_, cfg_.plugins.dropin, cfg_.plugins.watch,
                                                plugins_, *reload_);
    if (!cfg_.plugins.watch)
        return;
    auto file = std::filesystem::absolute(opts_.config);
    config_watch_ = std::make_unique<reload::directory_watch>(
        ioc_, file.parent_path().string(),
        [this, name = file.filename().string()](auto change, const std::string& f) {
            if (f == name && change == reload::directory_watch::change::written)
                reload_->reload("file change", log_outcome);
        });
}

void process::on_hangup(boost::system::error_code ec) {
    if (ec)
        return;
    systemd::notify("RELOADING=1");
    if (dropins_) // also picks up drop-ins the directory watch did not load
        dropins_->rescan();
    reload_->reload("SIGHUP", [](const reload::reload_outcome& o) {
        log_outcome(o);
        systemd::notify(o.ok ? "READY=1\nSTATUS=reload applied"
                             : "READY=1\nSTATUS=reload rejected, running config kept");
    });
    hangup_->async_wait([this](boost::system::error_code e, int) { on_hangup(e); });
}

void process::catch_signals() {
    hangup_.emplace(ioc_, SIGHUP);
    hangup_->async_wait([this](boost::system::error_code e, int) { on_hangup(e); });
    stop_signals_.emplace(ioc_, SIGINT, SIGTERM);
    stop_signals_->async_wait([this](boost::system::error_code ec, int sig) {
        if (ec)
            return;
        systemd::notify("STOPPING=1");
        hangup_->cancel();
        // The connections stay open while draining: remote providers deliver their results
        // over them, and submitters get their events (docs/operations.md, "Stopping").
        const auto timeout = cfg_.server.drain_timeout;
        log::info("signal " + std::to_string(sig) + ": draining, the tasks in flight have " +
                  std::to_string(timeout.count()) + " ms to finish; signal again to stop at once");
        workflows_->drain(timeout, [this](std::size_t cut) {
            boost::asio::post(ioc_, [this, cut] {
                log::info(cut == 0 ? std::string("drained: no task in flight")
                                   : std::to_string(cut) + " tasks still in flight are cut; they "
                                                           "run again after the restart");
                close_sessions();
            });
        });
        // A second signal does not wait for the drain.
        stop_signals_->async_wait([this](boost::system::error_code e, int) {
            if (!e)
                close_sessions();
        });
    });
}

void process::close_sessions() {
    if (closing_.exchange(true))
        return;
    log::info("closing sessions");
    http_.stop();
    // A short grace lets the close packets and WebSocket close frames reach the peers.
    grace_.expires_after(std::chrono::milliseconds(200));
    grace_.async_wait([this](boost::system::error_code) { ioc_.stop(); });
}

int process::run() {
    // The event loop runs from here on: loading plugins posts to their slots' strands.
    start_pool();
    if (!load_plugins()) {
        stop_pool();
        return 1;
    }
    recover();
    std::uint16_t port = 0;
    try {
        watch_files();
        // The signals are ours before "listening" is printed: whoever reads that line may
        // send one at once.
        catch_signals();
        port = http_.listen(cfg_.server.bind, cfg_.server.port);
    } catch (const std::exception& e) {
        log::error(e.what());
        stop_pool();
        return 1;
    }
    const auto& s = cfg_.server;
    memory_.start();
    std::cout << "listening on " << s.bind << ":" << port << std::endl;
    // Only now is the service ready for systemd (Type=notify): clients can connect.
    systemd::notify("READY=1\nSTATUS=listening on " + s.bind + ":" + std::to_string(port));
    for (auto& t : pool_)
        t.join();
    plugins_.drop_instances();
    return 0;
}

} // namespace

int check_config(const std::string& path) {
    try {
        config::load(path);
        std::cout << path << ": ok\n";
        return 0;
    } catch (const config::config_error& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}

int run(const options& opts) {
    tune_allocator();
    config::settings file_cfg; // as the file says; the reloader diffs against it
    try {
        file_cfg = config::load(opts.config);
    } catch (const config::config_error& e) {
        log::error(e.what());
        return 1;
    }
    auto cfg = effective_settings(file_cfg, opts);
    if (!cfg)
        return 1;
    process p(opts, std::move(file_cfg), std::move(*cfg));
    return p.run();
}

} // namespace gleitzeit::daemon
