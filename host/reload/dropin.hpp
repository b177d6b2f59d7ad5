#pragma once
// The drop-in directory ([plugins] dropin, DESIGN §8): a plugin file that appears there is
// loaded where its descriptor says (a provider is added; a plugin named like the one a slot
// runs, in another version, replaces it by hot swap), with the table of an optional sidecar
// NAME.toml as its config. A file still being written is ignored until it is complete.
// Removing a provider's file drains and unloads that provider.

#include "config/directory_watch.hpp"
#include "plugins/plugin_host.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace gleitzeit::plugins {

class dropin {
public:
    using log_fn = std::function<void(log_level, const std::string&)>;
    /// Called when the file of a provider is removed. True: it took care of the provider (a
    /// hub whose config also names it puts the configured one back). False: the drop-in
    /// drains and unloads it.
    using removed_fn = std::function<bool(const std::string& provider)>;

    /// Watches `directory` (when `watch`) and loads what is there now.
    dropin(boost::asio::io_context& ioc, std::string directory, bool watch, plugin_host& plugins,
           log_fn log, removed_fn removed = {});

    /// Loads the files that are there and were not loaded in their present version: all new
    /// ones without `watch`, and ones refused before (a file created unreadable, then made
    /// readable, say). A reload (SIGHUP) calls it.
    void rescan();

private:
    void on_change(config::directory_watch::change c, const std::string& name);
    void load(const std::string& name);
    /// The .so files in the directory, by name.
    std::vector<std::string> present() const;

    std::string directory_;
    plugin_host& plugins_;
    log_fn log_;
    removed_fn removed_;
    std::unique_ptr<config::directory_watch> watch_;
    /// Which provider each file brought, so that removing the file unloads it. Shared with
    /// load callbacks, which run on other threads.
    struct provider_files {
        std::mutex mutex;
        std::map<std::string, std::string> by_file;
    };
    std::shared_ptr<provider_files> providers_;
    /// The modification time of each file when it was last loaded, so that rescan() skips
    /// what runs already. Written by load callbacks on other threads.
    struct loaded_files {
        std::mutex mutex;
        std::map<std::string, std::filesystem::file_time_type> by_name;
        std::set<std::string> loading; // installs not yet answered; rescan() leaves them be
    };
    std::shared_ptr<loaded_files> loaded_;
};

} // namespace gleitzeit::plugins
