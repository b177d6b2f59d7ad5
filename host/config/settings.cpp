#include "config/settings.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace gleitzeit::config {
namespace {

/// Edit distance, to suggest the key a user most likely meant.
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t prev = row[0]++;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cur = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
            prev = cur;
        }
    }
    return row[b.size()];
}

class reader {
public:
    explicit reader(std::string source) : source_(std::move(source)) {}

    [[noreturn]] void fail(const toml::source_region& where, const std::string& why) const {
        std::ostringstream out;
        out << source_ << ":" << where.begin.line << ":" << where.begin.column << ": " << why;
        throw config_error(out.str());
    }

    using field = std::function<void(const toml::node&)>;

    /// Visits each key of `table` with its handler; any other key is an error.
    void fields(const toml::table& table, const std::string& where,
                const std::map<std::string, field>& known) const {
        for (const auto& [key, node] : table) {
            auto it = known.find(std::string(key.str()));
            if (it != known.end()) {
                it->second(node);
                continue;
            }
            std::string best;
            std::size_t best_d = 3; // suggest only near misses
            for (const auto& [name, f] : known)
                if (auto d = distance(key.str(), name); d < best_d)
                    best_d = d, best = name;
            std::string why = "unknown key '" + std::string(key.str()) + "' in " + where;
            if (!best.empty())
                why += " (did you mean '" + best + "'?)";
            fail(key.source(), why);
        }
    }

    const toml::table& table(const toml::node& n, const std::string& name) const {
        if (!n.is_table())
            fail(n.source(), "'" + name + "' must be a table");
        return *n.as_table();
    }
    std::string string(const toml::node& n, const std::string& name) const {
        if (!n.is_string())
            fail(n.source(), "'" + name + "' must be a string");
        return n.as_string()->get();
    }
    std::int64_t integer(const toml::node& n, const std::string& name, std::int64_t min,
                         std::int64_t max) const {
        if (!n.is_integer())
            fail(n.source(), "'" + name + "' must be an integer");
        auto v = n.as_integer()->get();
        if (v < min || v > max)
            fail(n.source(), "'" + name + "' must be between " + std::to_string(min) + " and " +
                                 std::to_string(max));
        return v;
    }
    std::vector<std::string> strings(const toml::node& n, const std::string& name) const {
        if (!n.is_array())
            fail(n.source(), "'" + name + "' must be an array of strings");
        std::vector<std::string> out;
        for (const auto& e : *n.as_array())
            out.push_back(string(e, name + "[]"));
        return out;
    }

private:
    std::string source_;
};

void read_server(const reader& r, const toml::table& t, server_settings& s) {
    auto ms = [&](std::chrono::milliseconds& out, const char* name) {
        return [&r, &out, name](const toml::node& n) {
            out = std::chrono::milliseconds(r.integer(n, name, 1, 3'600'000));
        };
    };
    r.fields(t, "[server]",
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
                 {"cors_origins",
                  [&](const toml::node& n) { s.cors_origins = r.strings(n, "cors_origins"); }},
                 {"ping_interval", ms(s.ping_interval, "ping_interval")},
                 {"ping_timeout", ms(s.ping_timeout, "ping_timeout")},
                 {"connect_timeout", ms(s.connect_timeout, "connect_timeout")},
                 {"max_payload",
                  [&](const toml::node& n) {
                      s.max_payload =
                          static_cast<std::size_t>(r.integer(n, "max_payload", 1024, 1LL << 30));
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

void read_auth(const reader& r, const toml::table& t, std::vector<auth_token>& tokens) {
    r.fields(
        t, "[auth]",
        {{"tokens", [&](const toml::node& n) {
              if (!n.is_array_of_tables())
                  r.fail(n.source(), "'auth.tokens' must be an array of tables ([[auth.tokens]])");
              for (const auto& e : *n.as_array()) {
                  auth_token tok;
                  r.fields(
                      *e.as_table(), "[[auth.tokens]]",
                      {{"token", [&](const toml::node& v) { tok.token = r.string(v, "token"); }},
                       {"roles", [&](const toml::node& v) { tok.roles = r.strings(v, "roles"); }}});
                  if (tok.token.empty())
                      r.fail(e.source(), "[[auth.tokens]] needs a non-empty 'token'");
                  tokens.push_back(std::move(tok));
              }
          }}});
}

} // namespace

settings parse(std::string_view text, const std::string& source) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        std::ostringstream out;
        out << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
            << e.description();
        throw config_error(out.str());
    }
    reader r(source);
    settings s;
    r.fields(root, "the top level",
             {
                 {"server",
                  [&](const toml::node& n) { read_server(r, r.table(n, "server"), s.server); }},
                 {"auth", [&](const toml::node& n) { read_auth(r, r.table(n, "auth"), s.tokens); }},
                 {"log",
                  [&](const toml::node& n) {
                      r.fields(
                          r.table(n, "log"), "[log]",
                          {{"level", [&](const toml::node& v) {
                                s.log.level = r.string(v, "level");
                                static const char* levels[] = {"debug", "info", "warn", "error"};
                                if (std::find(std::begin(levels), std::end(levels), s.log.level) ==
                                    std::end(levels))
                                    r.fail(v.source(),
                                           "'level' must be one of debug, info, warn, error");
                            }}});
                  }},
             });
    return s;
}

settings load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw config_error(path + ":1:1: cannot open the config file");
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), path);
}

} // namespace gleitzeit::config
