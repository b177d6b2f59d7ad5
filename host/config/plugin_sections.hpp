#pragma once
// Reads [state], [plugins], [slots.<slot>] and [[providers]] into a settings. Not part of the
// public model: settings.cpp drives it while it walks the top level.

#include "config/settings.hpp"
#include "toml/reader.hpp"

#include <optional>

namespace gleitzeit::config::detail {

class plugin_sections {
public:
    /// Relative paths resolve against `base_directory` ("" leaves them relative).
    plugin_sections(const toml_file::reader& r, settings& s, std::string base_directory);

    void read_state(const toml::node& n);
    void read_plugins(const toml::node& n);
    void read_slots(const toml::node& n);
    void read_providers(const toml::node& n);

    /// Resolves every plugin's file and, if asked, checks that it exists. It runs after the
    /// whole file is read because toml++ visits keys by name, not in file order: [slots] may
    /// be read before [plugins] directory is known.
    void finish(bool check_plugin_files);

private:
    /// Where a plugin's file comes from, kept for the errors finish() may report.
    struct file_origin {
        std::string owner;                  // "[slots.queue]" or "provider 'echo'"
        std::optional<std::string> written; // `file` as the config wrote it
        toml::source_region file_where;     // of `file`, when written
        toml::source_region plugin_where;   // of `plugin`, or of the table without one
    };

    std::string plugin_name(const toml::node& n) const;
    /// The `plugin` and `file` keys that slots and providers share, read into `plugin` and
    /// `origin`; the caller adds its own keys.
    std::map<std::string, toml_file::reader::field> plugin_fields(std::string& plugin,
                                                            file_origin& origin) const;
    /// A path as written: not empty, and without control characters (a NUL would cut it).
    std::string path(const toml::node& n, const std::string& name) const;
    std::string directory(const toml::node& n, const std::string& name) const;
    std::string resolve(const std::string& path) const;
    std::string resolve_file(const file_origin& o, const std::string& plugin, bool check) const;
    void read_slot(slot_kind kind, const std::string& section, const toml::table& t);

    const toml_file::reader& r_;
    settings& s_;
    std::string base_;
    std::map<slot_kind, file_origin> slot_files_;
    std::vector<file_origin> provider_files_; // parallel to s_.providers
};

} // namespace gleitzeit::config::detail
