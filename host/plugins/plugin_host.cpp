#include "plugins/plugin_host.hpp"

#include "plugins/iso_time.hpp"
#include "plugins/slot.hpp"

#include <boost/asio/thread_pool.hpp>

#include <iostream>
#include <map>
#include <sys/stat.h>

namespace gleitzeit::plugins {

namespace fs = std::filesystem;

struct plugin_host::state {
    state(boost::asio::io_context& ioc, options o)
        : opts(std::move(o)), ctx{ioc, blocking, opts.log, opts.emit} {}
    ~state() { blocking.join(); }

    /// The slot for `kind`, or for the provider `name`; made on first use.
    std::shared_ptr<slot> slot_for(slot_kind kind, const std::string& name) {
        std::lock_guard lock(mutex);
        auto key = kind == slot_kind::provider ? "provider:" + name : std::string(to_string(kind));
        auto& s = slots[key];
        if (!s)
            s = std::make_shared<slot>(key, kind, ctx, opts.drain_timeout);
        return s;
    }
    std::shared_ptr<slot> find(const std::string& key) const {
        std::lock_guard lock(mutex);
        auto it = slots.find(key);
        return it == slots.end() ? nullptr : it->second;
    }

    options opts;
    boost::asio::thread_pool blocking{2};
    host_context ctx;
    mutable std::mutex mutex;
    std::map<std::string, std::shared_ptr<slot>> slots; // "queue", ..., "provider:<name>"
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
        opts.log = [](log_level l, const std::string& line) {
            std::cerr << "gleitzeitd: " << level_name(l) << ": " << line << std::endl;
        };
    std::error_code ec;
    fs::create_directories(opts.private_dir, ec);
    ::chmod(opts.private_dir.c_str(), 0700);
    state_ = std::make_shared<state>(ioc, std::move(opts));
}

plugin_host::~plugin_host() = default;

void plugin_host::set_slot(slot_kind kind, const fs::path& file, boost::json::object config,
                           done_fn done) {
    if (kind == slot_kind::provider)
        return set_provider(file, std::move(config), std::move(done));
    std::shared_ptr<library> lib;
    try {
        lib = library::load(file, state_->opts.private_dir, kind);
    } catch (const load_error& e) {
        state_->opts.log(log_level::error, std::string("slot ") + std::string(to_string(kind)) +
                                               ": " + e.what());
        return done(e.what());
    }
    state_->slot_for(kind, "")->install(std::move(lib), std::move(config), std::move(done));
}

void plugin_host::set_provider(const fs::path& file, boost::json::object config, done_fn done) {
    std::shared_ptr<library> lib;
    try {
        lib = library::load(file, state_->opts.private_dir, slot_kind::provider);
    } catch (const load_error& e) {
        state_->opts.log(log_level::error, std::string("providers: ") + e.what());
        return done(e.what());
    }
    auto s = state_->slot_for(slot_kind::provider, lib->info().name);
    s->install(std::move(lib), std::move(config), std::move(done));
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
