#include "reload/dropin.hpp"

#include "log/log.hpp"
#include "reload/reloader.hpp"
#include "reload/sidecar.hpp"

#include <algorithm>
#include <filesystem>
#include <vector>

namespace gleitzeit::reload {

namespace fs = std::filesystem;

namespace {
bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
} // namespace

dropin::dropin(boost::asio::io_context& ioc, std::string directory, bool watch,
               plugins::plugin_host& plugins, const reloader& config)
    : directory_(std::move(directory)), plugins_(plugins), config_(config),
      providers_(std::make_shared<provider_files>()),
      loaded_(std::make_shared<loaded_files>()) {
    std::error_code ec;
    if (!fs::is_directory(directory_, ec)) {
        log::warn("drop-in directory " + directory_ + " does not exist; not watched");
        return;
    }
    if (watch)
        watch_ = std::make_unique<directory_watch>(
            ioc, directory_,
            [this](directory_watch::change c, const std::string& name) {
                on_change(c, name);
            });
    for (const auto& name : present())
        load(name);
}

std::vector<std::string> dropin::present() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(directory_, ec))
        if (e.is_regular_file() && ends_with(e.path().filename().string(), ".so"))
            names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

void dropin::rescan() {
    for (const auto& name : present()) {
        std::error_code ec;
        auto written = fs::last_write_time(fs::path(directory_) / name, ec);
        {
            std::lock_guard lock(loaded_->mutex);
            auto it = loaded_->by_name.find(name);
            if (ec || loaded_->loading.count(name) ||
                (it != loaded_->by_name.end() && it->second == written))
                continue;
        }
        log::info("drop-in " + name + ": not loaded in this version yet, loading");
        load(name);
    }
}

void dropin::on_change(directory_watch::change c, const std::string& name) {
    if (ends_with(name, ".toml")) {
        // A sidecar changed: reload its plugin with the new table, if the plugin is there.
        auto so = name.substr(0, name.size() - 5) + ".so";
        if (c == directory_watch::change::written && fs::exists(fs::path(directory_) / so))
            load(so);
        return;
    }
    if (!ends_with(name, ".so"))
        return;
    if (c == directory_watch::change::written)
        return load(name);
    {
        std::lock_guard lock(loaded_->mutex);
        loaded_->by_name.erase(name);
    }
    std::string provider;
    {
        std::lock_guard lock(providers_->mutex);
        auto it = providers_->by_file.find(name);
        if (it == providers_->by_file.end())
            return; // a stateful plugin's file: the slot keeps running what it loaded
        provider = it->second;
        providers_->by_file.erase(it);
    }
    provider_removed(name, provider);
}

void dropin::provider_removed(const std::string& name, const std::string& provider) {
    // The config's own provider comes back when a drop-in that replaced it goes.
    if (auto configured = config_.configured_provider(provider)) {
        log::info("drop-in of provider " + provider + " removed: back to " + configured->file);
        plugins_.set_provider(configured->file, configured->config, [](const std::string&) {},
                              configured->name);
        return;
    }
    log::info("drop-in " + name + " removed: draining provider " + provider);
    plugins_.unload_provider(provider, [provider](const std::string& error) {
        if (!error.empty())
            log::error("unloading provider " + provider + ": " + error);
    });
}

void dropin::load(const std::string& name) {
    auto file = fs::path(directory_) / name;
    auto sidecar = file;
    sidecar.replace_extension(".toml");
    boost::json::object cfg;
    std::error_code ec;
    if (fs::exists(sidecar, ec)) {
        try {
            cfg = load_sidecar(sidecar.string());
        } catch (const std::exception& e) {
            log::error("drop-in " + name + " not loaded: " + e.what());
            return;
        }
    }
    auto providers = providers_;
    auto loaded = loaded_;
    auto written = fs::last_write_time(file, ec);
    {
        std::lock_guard lock(loaded_->mutex);
        loaded_->loading.insert(name);
    }
    auto& plugins = plugins_;
    plugins_.install(file, std::move(cfg), [providers, loaded, written, &plugins, name,
                                            file](const std::string& error) {
        {
            std::lock_guard lock(loaded->mutex);
            loaded->loading.erase(name);
            if (error.empty())
                loaded->by_name[name] = written;
        }
        if (!error.empty())
            return; // plugin_host has logged why
        // Remember which provider came from this file, so that removing it unloads it.
        for (const auto& p : plugins.providers_from(file.string())) {
            std::lock_guard lock(providers->mutex);
            providers->by_file[name] = p;
        }
        log::info("drop-in " + name + " loaded");
    });
}

} // namespace gleitzeit::reload
