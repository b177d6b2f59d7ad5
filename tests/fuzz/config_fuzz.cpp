// The TOML config reader (host/config/settings.hpp): gleitzeit.toml, read at start and at
// every reload (host/reload/reloader.cpp), which catch config_error and nothing else.
//
// The input is the text of a config file. Plugin files are not looked up (the filesystem is
// not the parser's input; --check-config on a build machine reads configs the same way).
//
// Invariants:
// - parse refuses only with config_error, whose what() reads "<source>:<line>:<column>: ...";
// - an accepted config holds what the reader promises: a path between slashes, known roles,
//   tokens as 64 lowercase hex digits, plain and unique provider names, a file for every
//   plugin, resolved against the config's directory;
// - reading the same text twice gives the same settings: a reload of an unchanged file
//   plans nothing (config::diff is empty), and a plan from the defaults does not throw.

#include "config/reload_plan.hpp"
#include "config/settings.hpp"

#include "fuzz_check.hpp"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace {

namespace config = gleitzeit::config;

const std::string source = "/etc/gleitzeit-fuzz/gleitzeit.toml";

bool plain_name(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

bool lower_hex(const std::string& s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

/// "<source>:<line>:<column>: " with both numbers from 1.
bool placed(std::string_view what) {
    if (!what.starts_with(source + ":"))
        return false;
    what.remove_prefix(source.size() + 1);
    for (int number = 0; number < 2; ++number) {
        std::size_t digits = 0;
        while (digits < what.size() && what[digits] >= '0' && what[digits] <= '9')
            ++digits;
        if (digits == 0 || what.substr(0, digits) == "0" || digits == what.size() ||
            what[digits] != ':')
            return false;
        what.remove_prefix(digits + 1);
    }
    return what.starts_with(" ");
}

void check_settings(const config::settings& s) {
    const auto& path = s.server.path;
    FUZZ_CHECK(path.size() >= 1 && path.front() == '/' && path.back() == '/');
    const std::set<std::string> roles(std::begin(config::role_names), std::end(config::role_names));
    for (const auto& t : s.tokens) {
        FUZZ_CHECK(lower_hex(t.sha256));
        for (const auto& r : t.roles)
            FUZZ_CHECK(roles.count(r) == 1);
    }
    const std::set<std::string> levels{"debug", "info", "warn", "error"};
    FUZZ_CHECK(levels.count(s.log.level) == 1);
    std::set<std::string> names;
    for (const auto& p : s.providers) {
        FUZZ_CHECK(plain_name(p.plugin) && plain_name(p.name));
        FUZZ_CHECK(names.insert(p.name).second);
        FUZZ_CHECK(p.file.starts_with("/"));
    }
    for (const auto& [kind, slot] : s.slots) {
        FUZZ_CHECK(kind != gleitzeit::slot_kind::provider);
        FUZZ_CHECK(slot.remote || (plain_name(slot.plugin) && slot.file.starts_with("/")));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    config::parse_options options;
    options.check_plugin_files = false;
    try {
        config::settings s;
        try {
            s = config::parse(text, source, options);
        } catch (const config::config_error& e) {
            FUZZ_CHECK(placed(e.what()));
            return 0;
        }
        check_settings(s);
        auto again = config::parse(text, source, options);
        auto plan = config::diff(s, again);
        FUZZ_CHECK(plan.empty());
        FUZZ_CHECK(config::describe(plan).empty());
        config::describe(config::diff(config::settings{}, s));
    } catch (...) {
        gleitzeit::fuzz::escaped("config::parse");
    }
    return 0;
}
