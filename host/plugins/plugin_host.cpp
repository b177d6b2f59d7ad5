#include "plugins/plugin_host.hpp"

#include "log/log.hpp"
#include "plugins/iso_time.hpp"
#include "plugins/slot.hpp"

#include <boost/asio/thread_pool.hpp>

#include <map>
#include <sys/stat.h>

namespace gleitzeit::plugins {

namespace fs = std::filesystem;

struct plugin_host::state {
    state(boost::asio::io_context& ioc, options o)
        : opts(std::move(o)), ctx{ioc, blocking, opts.log, opts.emit} {}
    ~state() {
        for (auto& [key, s] : slots)
            if (s->remote())
                s->stop_holding();
        blocking.join();
    }

    /// The slot for `kind`, or for the provider `name`; made on first use. A plugin replaces
    /// a remote component: the remote slot, whose strand is on the blocking pool, makes way
    /// for one on the event loop (and is emptied by the caller).
    std::shared_ptr<slot> slot_for(slot_kind kind, const std::string& name,
                                   std::shared_ptr<slot>* replaced = nullptr) {
        std::lock_guard lock(mutex);
        auto key = kind == slot_kind::provider ? "provider:" + name : std::string(to_string(kind));
        auto& s = slots[key];
        if (s && s->remote() && replaced)
            *replaced = std::exchange(s, nullptr);
        if (!s)
            s = std::make_shared<slot>(key, kind, ctx, opts.drain_timeout);
        return s;
    }
    /// The remote slot for `kind`; an empty plugin slot makes way for one. Null when a plugin
    /// runs in the slot.
    std::shared_ptr<slot> remote_slot_for(slot_kind kind) {
        std::lock_guard lock(mutex);
        auto key = std::string(to_string(kind));
        auto& s = slots[key];
        if (s && !s->remote() && !s->view().empty())
            return nullptr;
        if (!s || !s->remote())
            s = std::make_shared<slot>(key, kind, ctx, opts.drain_timeout, true);
        return s;
    }
    /// `done`, and the on_filled hook after a success when `was_empty`.
    done_fn telling(slot_kind kind, bool was_empty, done_fn done) {
        std::function<void(slot_kind)> hook;
        {
            std::lock_guard lock(mutex);
            hook = filled;
        }
        if (!was_empty || !hook)
            return done;
        return [kind, hook, done = std::move(done)](const std::string& error) {
            done(error);
            if (error.empty())
                hook(kind);
        };
    }
    /// The library in `file`, or null after `done` got why not (logged under `what`).
    std::shared_ptr<library> load(const fs::path& file, slot_kind kind, const std::string& what,
                                  const done_fn& done) {
        try {
            return library::load(file, opts.private_dir, kind);
        } catch (const load_error& e) {
            opts.log(log_level::error, what + ": " + e.what());
            done(e.what());
            return nullptr;
        }
    }
    /// Runs `install` on the stateful slot `kind`, which takes it over from a remote component
    /// filling it (the component stays connected, but no longer fills the slot).
    void fill_stateful(slot_kind kind, const std::function<void(slot&, done_fn)>& install,
                       done_fn done) {
        std::shared_ptr<slot> remote;
        auto s = slot_for(kind, "", &remote);
        auto was_empty = s->view().empty();
        if (remote)
            done = [remote, s, done = std::move(done)](const std::string& error) {
                remote->hand_over(s);
                done(error);
            };
        install(*s, telling(kind, was_empty, std::move(done)));
    }
    /// Every running instance of the library's plugin (each [[providers]] name) gets the new
    /// build with its own config; with none running, it starts as the provider named after the
    /// plugin. `done` once all have answered, with the first refusal if any.
    void swap_instances(std::shared_ptr<library> lib, done_fn done) {
        std::vector<std::shared_ptr<slot>> targets;
        {
            std::lock_guard lock(mutex);
            for (const auto& [key, s] : slots) {
                auto view = s->view();
                if (s->kind() == slot_kind::provider && !view.empty() &&
                    view.front().name == lib->info().name)
                    targets.push_back(s);
            }
        }
        if (targets.empty())
            targets.push_back(slot_for(slot_kind::provider, lib->info().name));
        struct gathered {
            std::mutex mutex;
            std::size_t left;
            std::string first_error;
            done_fn done;
        };
        auto g = std::make_shared<gathered>();
        g->left = targets.size();
        g->done = std::move(done);
        for (auto& s : targets)
            s->install_keeping_config(lib, [g](const std::string& error) {
                bool last;
                {
                    std::lock_guard lock(g->mutex);
                    if (g->first_error.empty())
                        g->first_error = error;
                    last = --g->left == 0;
                }
                if (last)
                    g->done(g->first_error);
            });
    }
    std::shared_ptr<slot> find(const std::string& key) const {
        std::lock_guard lock(mutex);
        auto it = slots.find(key);
        return it == slots.end() ? nullptr : it->second;
    }

    options opts;
    // Two for SQLite and the plugins' blocking jobs, and one for each slot a remote component
    // may fill, whose calls hold a thread while they wait for the component's reply.
    boost::asio::thread_pool blocking{6};
    host_context ctx;
    mutable std::mutex mutex;
    std::map<std::string, std::shared_ptr<slot>> slots; // "queue", ..., "provider:<name>"
    std::function<void(slot_kind)> filled;
};

namespace {
const char* level_name(log_level l) {
    switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    }
    return "info";
}

} // namespace

plugin_host::plugin_host(boost::asio::io_context& ioc, options opts) {
    if (!opts.log)
        // The plugin host's lines have always named their level ("warn: slot queue: ...").
        opts.log = [](log_level l, const std::string& line) {
            log::write(l, std::string(level_name(l)) + ": " + line);
        };
    std::error_code ec;
    fs::create_directories(opts.private_dir, ec);
    ::chmod(opts.private_dir.c_str(), 0700);
    state_ = std::make_shared<state>(ioc, std::move(opts));
}

plugin_host::~plugin_host() = default;

void plugin_host::drop_instances() {
    std::lock_guard lock(state_->mutex);
    for (auto& [key, s] : state_->slots)
        if (!s->remote()) // a remote slot's strand is on the blocking pool, still running
            s->drop_instances();
}

void plugin_host::set_slot(slot_kind kind, const fs::path& file, boost::json::object config,
                           done_fn done) {
    if (kind == slot_kind::provider)
        return set_provider(file, std::move(config), std::move(done));
    auto lib = state_->load(file, kind, std::string("slot ") + std::string(to_string(kind)), done);
    if (!lib)
        return;
    state_->fill_stateful(
        kind,
        [lib, config = std::move(config)](slot& s, done_fn d) { s.install(lib, config, d); },
        std::move(done));
}

void plugin_host::set_provider(const fs::path& file, boost::json::object config, done_fn done,
                               std::string name) {
    auto lib = state_->load(file, slot_kind::provider, "providers", done);
    if (!lib)
        return;
    auto s = state_->slot_for(slot_kind::provider, name.empty() ? lib->info().name : name);
    s->install(std::move(lib), std::move(config), std::move(done));
}

void plugin_host::swap_file(slot_kind kind, const fs::path& file, done_fn done) {
    auto lib = state_->load(file, kind, std::string(to_string(kind)), done);
    if (!lib)
        return;
    if (kind == slot_kind::provider)
        return state_->swap_instances(std::move(lib), std::move(done));
    state_->fill_stateful(
        kind, [lib](slot& s, done_fn d) { s.install_keeping_config(lib, d); }, std::move(done));
}

void plugin_host::install(const fs::path& file, boost::json::object config, done_fn done) {
    std::shared_ptr<library> lib;
    try {
        lib = library::load(file, state_->opts.private_dir, std::nullopt);
    } catch (const load_error& e) {
        state_->opts.log(log_level::error, e.what());
        return done(e.what());
    }
    auto kind = lib->info().slot;
    if (kind == slot_kind::provider) {
        auto s = state_->slot_for(kind, lib->info().name);
        return s->install(std::move(lib), std::move(config), std::move(done));
    }
    auto s = state_->find(std::string(to_string(kind)));
    auto running = s ? s->view() : std::vector<generation_view>{};
    if (running.empty() || running.front().name != lib->info().name) {
        auto why = "refusing plugin " + file.string() + ": '" + lib->info().name + "' is a " +
                   std::string(to_string(kind)) + " plugin, but the " +
                   std::string(to_string(kind)) + " slot runs " +
                   (running.empty() ? std::string("nothing") : "'" + running.front().name + "'") +
                   "; a drop-in replaces only a plugin of the same name";
        state_->opts.log(log_level::error, why);
        return done(why);
    }
    if (running.front().version == lib->info().version) {
        auto why = "ignoring plugin " + file.string() + ": '" + lib->info().name + "' " +
                   lib->info().version + " is already running in the " +
                   std::string(to_string(kind)) + " slot";
        state_->opts.log(log_level::info, why);
        return done(why);
    }
    s->install(std::move(lib), std::move(config), std::move(done));
}

std::string plugin_host::check(const fs::path& file, std::optional<slot_kind> expected) const {
    try {
        library::load(file, state_->opts.private_dir, expected);
        return "";
    } catch (const load_error& e) {
        return e.what();
    }
}

void plugin_host::unload_slot(slot_kind kind, done_fn done) {
    auto s = state_->find(std::string(to_string(kind)));
    if (!s)
        return done("slot " + std::string(to_string(kind)) + " is empty");
    s->unload(std::move(done));
}

void plugin_host::fill_remote(slot_kind kind, std::shared_ptr<plugin> instance,
                              std::string component_id, std::string version, done_fn done) {
    auto name = std::string(to_string(kind));
    if (kind == slot_kind::provider)
        return done("providers are not slots a remote component fills");
    auto s = state_->remote_slot_for(kind);
    if (!s) {
        auto running = state_->find(name)->view();
        return done("the " + name + " slot runs the plugin '" +
                    (running.empty() ? std::string("?") : running.front().name) + "'");
    }
    s->fill(std::move(instance), std::move(component_id), std::move(version),
            state_->telling(kind, true, std::move(done)));
}

void plugin_host::vacate_remote(slot_kind kind, std::string component_id, done_fn done) {
    auto s = state_->find(std::string(to_string(kind)));
    if (!s || !s->remote())
        return done("the " + std::string(to_string(kind)) + " slot has no remote component");
    // A queue and a resolver hold their calls for the next component: without one, a task
    // that became ready, or a result to release, would fail its workflow. The other slots
    // without an instance skip (persistence, registry), which beats stalling the pipeline
    // until a component comes.
    auto hold = kind == slot_kind::queue || kind == slot_kind::resolver
                    ? state_->opts.remote_hold
                    : std::chrono::milliseconds(0);
    s->vacate(std::move(component_id), hold, std::move(done));
}

void plugin_host::on_filled(std::function<void(slot_kind)> fn) {
    std::lock_guard lock(state_->mutex);
    state_->filled = std::move(fn);
}

void plugin_host::unload_provider(const std::string& name, done_fn done) {
    auto s = state_->find("provider:" + name);
    if (!s)
        return done("no provider plugin '" + name + "' is loaded");
    s->unload(std::move(done));
}

void plugin_host::with_slot(slot_kind kind, std::function<void(plugin*)> fn) {
    if (auto s = state_->find(std::string(to_string(kind))))
        return s->with(std::move(fn));
    fn(nullptr);
}

void plugin_host::with_provider(const std::string& name, std::function<void(provider*)> fn) {
    if (auto s = state_->find("provider:" + name))
        return s->with([fn = std::move(fn)](plugin* p) { fn(dynamic_cast<provider*>(p)); });
    fn(nullptr);
}

void plugin_host::execute(const std::string& provider, method_call call,
                          provider::done_fn done) {
    if (auto s = state_->find("provider:" + provider))
        return s->execute(std::move(call), std::move(done));
    task_result r;
    r.task_id = call.task_id;
    r.error = task_error{error_code::no_provider, "no provider plugin '" + provider + "'", true};
    done(std::move(r));
}

boost::json::array plugin_host::describe() const {
    std::map<std::string, std::shared_ptr<slot>> slots;
    {
        std::lock_guard lock(state_->mutex);
        slots = state_->slots;
    }
    boost::json::array out;
    for (const auto& [key, s] : slots) {
        auto view = s->view();
        if (view.empty())
            continue;
        boost::json::array gens;
        for (const auto& g : view) {
            boost::json::object o{{"generation", g.number},
                                  {"name", g.name},
                                  {"version", g.version},
                                  {"file", g.file},
                                  {"loaded_at", iso_time(g.loaded_at)},
                                  {"state", g.draining ? "draining" : "active"},
                                  {"in_flight", g.in_flight}};
            if (g.remote) {
                o["remote"] = true;
                o["component_id"] = g.name;
            }
            if (g.swap_pause_ms >= 0)
                o["swap_pause_ms"] = g.swap_pause_ms;
            gens.push_back(std::move(o));
        }
        out.push_back(boost::json::object{
            {"slot", key}, {"kind", to_string(s->kind())}, {"generations", std::move(gens)}});
    }
    return out;
}

std::string plugin_host::metrics_text() const {
    std::map<std::string, std::shared_ptr<slot>> slots;
    {
        std::lock_guard lock(state_->mutex);
        slots = state_->slots;
    }
    std::string out;
    for (const auto& [key, s] : slots) {
        auto view = s->view();
        out += "gleitzeit_slot_generations{slot=\"" + key + "\"} " +
               std::to_string(view.size()) + "\n";
        for (const auto& [name, value] : s->gauges())
            out += "gleitzeit_plugin_" + name + "{slot=\"" + key + "\"} " + std::to_string(value) +
                   "\n";
    }
    return out;
}

std::vector<std::string> plugin_host::providers() const {
    std::vector<std::string> out;
    std::lock_guard lock(state_->mutex);
    for (const auto& [key, s] : state_->slots)
        if (s->kind() == slot_kind::provider && !s->view().empty())
            out.push_back(key.substr(sizeof("provider:") - 1));
    return out;
}

std::vector<std::string> plugin_host::providers_from(const std::string& file) const {
    std::vector<std::string> out;
    std::lock_guard lock(state_->mutex);
    for (const auto& [key, s] : state_->slots) {
        if (s->kind() != slot_kind::provider)
            continue;
        auto view = s->view();
        if (!view.empty() && !view.front().draining && view.front().file == file)
            out.push_back(key.substr(sizeof("provider:") - 1));
    }
    return out;
}

} // namespace gleitzeit::plugins
