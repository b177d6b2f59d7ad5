#pragma once
// The drop-in directory ([plugins] dropin; docs/operations.md): a plugin file that appears
// there is loaded where its descriptor says (a provider is added; a plugin named like the one
// a slot runs, in another version, replaces it by hot swap), with the table of an optional
// sidecar NAME.toml as its config. A file still being written is ignored until it is
// complete. Removing a provider's file puts back the provider the running config names, if
// it names one; else it drains and unloads that provider.

#include "plugins/plugin_host.hpp"
#include "reload/directory_watch.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace gleitzeit::reload {

class reloader;

class dropin {
public:
    /// Watches `directory` (when `watch`) and loads what is there now. `config` says which
    /// providers the running config names, for when a drop-in that replaced one goes.
    dropin(boost::asio::io_context& ioc, std::string directory, bool watch,
           plugins::plugin_host& plugins, const reloader& config);

    /// Loads the files that are there and were not loaded in their present version: all new
    /// ones without `watch`, and ones refused before (a file created unreadable, then made
    /// readable, say). A reload (SIGHUP) calls it.
    void rescan();

private:
    void on_change(directory_watch::change c, const std::string& name);
    void load(const std::string& name);
    /// The file of `provider` went: back to the configured provider, or drain it.
    void provider_removed(const std::string& name, const std::string& provider);
    /// The .so files in the directory, by name.
    std::vector<std::string> present() const;

    std::string directory_;
    plugins::plugin_host& plugins_;
    const reloader& config_;
    std::unique_ptr<directory_watch> watch_;
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

} // namespace gleitzeit::reload
