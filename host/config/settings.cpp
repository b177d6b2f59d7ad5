#include "config/settings.hpp"

#include "auth/token_digest.hpp"
#include "config/plugin_sections.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gleitzeit::config {
namespace {

using toml_reader = toml_file::reader;

void read_server(const toml_reader& r, const toml::table& t, server_settings& s) {
    auto ms = [&](std::chrono::milliseconds& out, const char* name) {
        return [&r, &out, name](const toml::node& n) {
            out = std::chrono::milliseconds(r.integer(n, name, 1, 3'600'000));
        };
    };
    r.fields(
        t, "[server]",
        {
            {"bind", [&](const toml::node& n) { s.bind = r.string(n, "bind"); }},
            {"port",
             [&](const toml::node& n) {
                 s.port = static_cast<std::uint16_t>(r.integer(n, "port", 0, 65535));
             }},
            {"path",
             [&](const toml::node& n) {
                 s.path = r.string(n, "path");
                 if (s.path.empty() || s.path.front() != '/')
                     r.fail(n.source(), "'path' must start with '/'");
                 if (s.path.back() != '/')
                     s.path += '/';
             }},
            {"allowed_origins",
             [&](const toml::node& n) { s.allowed_origins = r.strings(n, "allowed_origins"); }},
            // The name before allowed_origins, when it covered long-polling only.
            {"cors_origins",
             [&](const toml::node& n) { s.allowed_origins = r.strings(n, "cors_origins"); }},
            {"allowed_hosts",
             [&](const toml::node& n) { s.allowed_hosts = r.strings(n, "allowed_hosts"); }},
            {"ping_interval", ms(s.ping_interval, "ping_interval")},
            {"ping_timeout", ms(s.ping_timeout, "ping_timeout")},
            {"connect_timeout", ms(s.connect_timeout, "connect_timeout")},
            {"heartbeat_interval", ms(s.heartbeat_interval, "heartbeat_interval")},
            {"request_timeout", ms(s.request_timeout, "request_timeout")},
            // 0: stop at once, cutting the calls in flight (they run again after the restart).
            {"drain_timeout",
             [&](const toml::node& n) {
                 s.drain_timeout =
                     std::chrono::milliseconds(r.integer(n, "drain_timeout", 0, 3'600'000));
             }},
            {"max_payload",
             [&](const toml::node& n) {
                 s.max_payload =
                     static_cast<std::size_t>(r.integer(n, "max_payload", 1024, 1LL << 30));
             }},
            {"max_buffered",
             [&](const toml::node& n) {
                 s.max_buffered =
                     static_cast<std::size_t>(r.integer(n, "max_buffered", 65536, 1LL << 34));
             }},
            {"max_connections",
             [&](const toml::node& n) {
                 s.max_connections =
                     static_cast<std::size_t>(r.integer(n, "max_connections", 0, 10'000'000));
             }},
            {"threads",
             [&](const toml::node& n) {
                 s.threads = static_cast<unsigned>(r.integer(n, "threads", 0, 256));
             }},
        });
}

void check_roles(const toml_reader& r, const toml::node& v, const std::vector<std::string>& roles) {
    const std::vector<std::string_view> known(std::begin(role_names), std::end(role_names));
    for (std::size_t i = 0; i < roles.size(); ++i)
        if (std::find(known.begin(), known.end(), roles[i]) == known.end())
            r.fail((*v.as_array())[i].source(),
                   "unknown role '" + roles[i] + "'" + toml_file::did_you_mean(roles[i], known) +
                       "; roles are submit, observe, provider, component and admin");
}

/// One [[auth.tokens]] entry: the token in clear or its SHA-256, never both, and its roles.
auth_token read_token(const toml_reader& r, const toml::node& e) {
    auth_token tok;
    bool clear = false;
    r.fields(*e.as_table(), "[[auth.tokens]]",
             {{"token",
               [&](const toml::node& v) {
                   auto text = r.string(v, "token");
                   if (text.empty())
                       r.fail(v.source(), "'token' must not be empty");
                   tok.sha256 = auth::token_sha256(text);
                   clear = true;
               }},
              {"token_sha256",
               [&](const toml::node& v) {
                   auto digest = auth::normalized_sha256(r.string(v, "token_sha256"));
                   if (!digest)
                       r.fail(v.source(), "'token_sha256' must be 64 hex digits, as "
                                          "`gleitzeitd --hash-token` prints them");
                   if (clear)
                       r.fail(v.source(), "give 'token' or 'token_sha256', not both");
                   tok.sha256 = *digest;
               }},
              {"roles", [&](const toml::node& v) {
                   tok.roles = r.strings(v, "roles");
                   check_roles(r, v, tok.roles);
               }}});
    if (tok.sha256.empty())
        r.fail(e.source(), "[[auth.tokens]] needs 'token' or 'token_sha256'");
    return tok;
}

void read_auth(const toml_reader& r, const toml::table& t, settings& s) {
    r.fields(t, "[auth]",
             {{"tokens",
               [&](const toml::node& n) {
                   for (const auto& e : r.tables(n, "auth.tokens", "[[auth.tokens]]"))
                       s.tokens.push_back(read_token(r, e));
               }},
              {"revoke_grace", [&](const toml::node& n) {
                   s.revoke_grace =
                       std::chrono::milliseconds(r.integer(n, "revoke_grace", 0, 86'400'000));
               }}});
}

void read_limits(const toml_reader& r, const toml::table& t, limit_settings& l) {
    r.fields(t, "[limits]",
             {{"submissions_per_second",
               [&](const toml::node& n) {
                   const auto* v = n.as_floating_point();
                   const auto* i = n.as_integer();
                   if (!v && !i)
                       r.fail(n.source(), "'submissions_per_second' must be a number");
                   l.submissions_per_second = v ? v->get() : static_cast<double>(i->get());
                   if (!(l.submissions_per_second >= 0 && l.submissions_per_second <= 1e6))
                       r.fail(n.source(), "'submissions_per_second' must be from 0 to 1000000");
               }},
              {"submission_burst", [&](const toml::node& n) {
                   l.submission_burst =
                       static_cast<unsigned>(r.integer(n, "submission_burst", 1, 1'000'000));
               }}});
}

void read_log(const toml_reader& r, const toml::table& t, log_settings& log) {
    r.fields(t, "[log]", {{"level", [&](const toml::node& v) {
                               log.level = r.string(v, "level");
                               static const char* levels[] = {"debug", "info", "warn", "error"};
                               if (std::find(std::begin(levels), std::end(levels), log.level) ==
                                   std::end(levels))
                                   r.fail(v.source(),
                                          "'level' must be one of debug, info, warn, error");
                           }}});
}

settings read_settings(const toml::table& root, const std::string& source,
                       const parse_options& options) {
    toml_reader r(source);
    settings s;
    auto base = options.base_directory.empty()
                    ? std::filesystem::path(source).parent_path().string()
                    : options.base_directory;
    detail::plugin_sections plugins(r, s, std::move(base));
    r.fields(root, "the top level",
             {
                 {"server",
                  [&](const toml::node& n) { read_server(r, r.table(n, "server"), s.server); }},
                 {"auth", [&](const toml::node& n) { read_auth(r, r.table(n, "auth"), s); }},
                 {"log", [&](const toml::node& n) { read_log(r, r.table(n, "log"), s.log); }},
                 {"limits",
                  [&](const toml::node& n) { read_limits(r, r.table(n, "limits"), s.limits); }},
                 {"state", [&](const toml::node& n) { plugins.read_state(n); }},
                 {"plugins", [&](const toml::node& n) { plugins.read_plugins(n); }},
                 {"slots", [&](const toml::node& n) { plugins.read_slots(n); }},
                 {"providers", [&](const toml::node& n) { plugins.read_providers(n); }},
             });
    plugins.finish(options.check_plugin_files);
    return s;
}

} // namespace

settings parse(std::string_view text, const std::string& source) {
    return parse(text, source, parse_options{});
}

settings parse(std::string_view text, const std::string& source, const parse_options& options) {
    try {
        return read_settings(toml_file::parse(text, source), source, options);
    } catch (const toml_file::error& e) {
        throw config_error(e.what());
    }
}

settings load(const std::string& path) {
    return load(path, parse_options{});
}

settings load(const std::string& path, const parse_options& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw config_error(path + ":1:1: cannot open the config file");
    std::ostringstream text;
    text << in.rdbuf();
    auto with_base = options;
    if (with_base.base_directory.empty()) {
        // Absolute, so that a path the config names does not change with the working
        // directory of whoever uses the settings later.
        std::error_code ec;
        auto file = std::filesystem::absolute(path, ec);
        with_base.base_directory = (ec ? std::filesystem::path(path) : file).parent_path().string();
    }
    return parse(text.str(), path, with_base);
}

} // namespace gleitzeit::config
