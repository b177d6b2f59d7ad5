#include "config/plugin_sections.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <system_error>

namespace gleitzeit::config::detail {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const std::vector<std::string_view> stateful_slots{"queue", "resolver", "registry", "persistence"};

json::object config_object(const toml_file::reader& r, const toml::node& n) {
    return toml_file::table_to_json(r, r.table(n, "config"), "config");
}

// A plugin's or a provider instance's name becomes a file name (<name>.so), a log prefix, a
// metric label and a registry id: keep it plain.
bool plain_name(const std::string& name) {
    bool ok = !name.empty();
    for (char c : name)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.');
    return ok;
}

} // namespace

plugin_sections::plugin_sections(const toml_file::reader& r, settings& s, std::string base_directory)
    : r_(r), s_(s), base_(std::move(base_directory)) {}

std::string plugin_sections::plugin_name(const toml::node& n) const {
    auto name = r_.string(n, "plugin");
    if (!plain_name(name))
        r_.fail(n.source(), "'plugin' must be a plugin name (letters, digits, '-', '_', '.')");
    return name;
}

std::string plugin_sections::resolve(const std::string& path) const {
    fs::path p(path);
    if (p.is_relative() && !base_.empty())
        p = fs::path(base_) / p;
    return p.lexically_normal().string();
}

std::string plugin_sections::path(const toml::node& n, const std::string& name) const {
    auto p = r_.string(n, name);
    if (p.empty())
        r_.fail(n.source(), "'" + name + "' must not be empty");
    // A NUL would cut the path short where the system reads it, and other control
    // characters are never part of a file name a person meant.
    for (unsigned char c : p)
        if (c < 0x20 || c == 0x7f) {
            char code[8];
            std::snprintf(code, sizeof code, "U+%04X", c);
            r_.fail(n.source(), "'" + name + "' holds a control character (" + code + ")");
        }
    return p;
}

std::string plugin_sections::directory(const toml::node& n, const std::string& name) const {
    return resolve(path(n, name));
}

void plugin_sections::read_state(const toml::node& n) {
    r_.fields(r_.table(n, "state"), "[state]",
              {{"directory",
                [&](const toml::node& v) { s_.state.directory = directory(v, "directory"); }},
               {"keep_finished",
                [&](const toml::node& v) {
                    s_.state.keep_finished =
                        static_cast<std::size_t>(r_.integer(v, "keep_finished", 0, 10'000'000));
                }},
               {"keep_finished_tasks", [&](const toml::node& v) {
                    s_.state.keep_finished_tasks = static_cast<std::size_t>(
                        r_.integer(v, "keep_finished_tasks", 0, 1'000'000'000));
                }}});
}

void plugin_sections::read_plugins(const toml::node& n) {
    auto& p = s_.plugins;
    r_.fields(
        r_.table(n, "plugins"), "[plugins]",
        {
            {"directory", [&](const toml::node& v) { p.directory = directory(v, "directory"); }},
            {"dropin", [&](const toml::node& v) { p.dropin = directory(v, "dropin"); }},
            {"watch", [&](const toml::node& v) { p.watch = r_.boolean(v, "watch"); }},
            {"drain_timeout",
             [&](const toml::node& v) {
                 p.drain_timeout =
                     std::chrono::milliseconds(r_.integer(v, "drain_timeout", 0, 3'600'000));
             }},
            {"remote_timeout",
             [&](const toml::node& v) {
                 p.remote_timeout =
                     std::chrono::milliseconds(r_.integer(v, "remote_timeout", 100, 3'600'000));
             }},
        });
}

void plugin_sections::read_slots(const toml::node& n) {
    for (const auto& [key, node] : r_.table(n, "slots")) {
        std::string name(key.str());
        slot_kind kind{};
        if (!slot_kind_from_string(name, kind) || kind == slot_kind::provider) {
            std::string why = "unknown slot '" + name + "' in [slots]";
            if (name == "provider" || name == "providers")
                why += " (providers are listed as [[providers]])";
            else
                why += toml_file::did_you_mean(name, stateful_slots);
            r_.fail(key.source(), why);
        }
        read_slot(kind, "[slots." + name + "]", r_.table(node, "slots." + name));
    }
}

std::map<std::string, toml_file::reader::field> plugin_sections::plugin_fields(std::string& plugin,
                                                                        file_origin& origin) const {
    return {
        {"plugin",
         [this, &plugin, &origin](const toml::node& v) {
             plugin = plugin_name(v);
             origin.plugin_where = v.source();
         }},
        {"file",
         [this, &origin](const toml::node& v) {
             origin.written = path(v, "file");
             origin.file_where = v.source();
         }},
    };
}

void plugin_sections::read_slot(slot_kind kind, const std::string& section, const toml::table& t) {
    slot_settings slot;
    file_origin origin{section, std::nullopt, {}, t.source()};
    auto fields = plugin_fields(slot.plugin, origin);
    fields["remote"] = [&](const toml::node& v) { slot.remote = r_.boolean(v, "remote"); };
    fields["config"] = [&](const toml::node& v) { slot.config = config_object(r_, v); };
    r_.fields(t, section, fields);
    if (slot.plugin.empty() && !slot.remote)
        r_.fail(t.source(), section + " needs a 'plugin' (or remote = true)");
    s_.slots[kind] = std::move(slot);
    slot_files_[kind] = std::move(origin);
}

void plugin_sections::read_providers(const toml::node& n) {
    for (const auto& e : r_.tables(n, "providers", "[[providers]]")) {
        const auto& t = *e.as_table();
        provider_settings p;
        file_origin origin{"", std::nullopt, {}, t.source()};
        auto fields = plugin_fields(p.plugin, origin);
        fields["config"] = [&](const toml::node& v) { p.config = config_object(r_, v); };
        toml::source_region name_where = t.source();
        fields["name"] = [&](const toml::node& v) {
            p.name = r_.string(v, "name");
            name_where = v.source();
            if (!plain_name(p.name))
                r_.fail(name_where, "'name' must be a provider name (letters, digits, '-', '_', '.')");
        };
        r_.fields(t, "[[providers]]", fields);
        if (p.plugin.empty())
            r_.fail(t.source(), "[[providers]] needs a 'plugin'");
        if (p.name.empty()) {
            p.name = p.plugin;
            name_where = origin.plugin_where;
        }
        // Providers are keyed by name in a reload (add, drain, swap); two of one name would
        // make that ambiguous.
        for (std::size_t i = 0; i < s_.providers.size(); ++i)
            if (s_.providers[i].name == p.name)
                r_.fail(name_where,
                        "provider '" + p.name + "' is listed twice (first at line " +
                            std::to_string(provider_files_[i].plugin_where.begin.line) +
                            "); give each instance of a plugin its own 'name'");
        origin.owner = "provider '" + p.name + "'";
        s_.providers.push_back(std::move(p));
        provider_files_.push_back(std::move(origin));
    }
}

std::string plugin_sections::resolve_file(const file_origin& o, const std::string& plugin,
                                          bool check) const {
    std::string file =
        o.written ? resolve(*o.written)
                  : (fs::path(s_.plugins.directory) / (plugin + ".so")).lexically_normal().string();
    if (!check)
        return file;
    const auto& where = o.written ? o.file_where : o.plugin_where;
    const std::string what = "plugin file '" + file + "' for " + o.owner;
    std::error_code ec;
    auto st = fs::status(file, ec);
    if (st.type() == fs::file_type::not_found)
        r_.fail(where, what + " does not exist");
    if (ec)
        r_.fail(where, what + " cannot be examined: " + ec.message());
    if (!fs::is_regular_file(st))
        r_.fail(where, what + " is not a regular file");
    return file;
}

void plugin_sections::finish(bool check_plugin_files) {
    for (auto& [kind, slot] : s_.slots) {
        const auto& origin = slot_files_.at(kind);
        if (slot.remote)
            slot.file = origin.written ? resolve(*origin.written) : "";
        else
            slot.file = resolve_file(origin, slot.plugin, check_plugin_files);
    }
    for (std::size_t i = 0; i < s_.providers.size(); ++i)
        s_.providers[i].file =
            resolve_file(provider_files_[i], s_.providers[i].plugin, check_plugin_files);
}

} // namespace gleitzeit::config::detail
