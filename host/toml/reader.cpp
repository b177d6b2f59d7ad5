#include "config/toml_reader.hpp"

#include <algorithm>
#include <sstream>

namespace gleitzeit::config::detail {
namespace {

/// Edit distance, to suggest the name a user most likely meant.
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

} // namespace

std::string describe(const toml::parse_error& e, const std::string& source) {
    return source + ":" + std::to_string(e.source().begin.line) + ":" +
           std::to_string(e.source().begin.column) + ": " + std::string(e.description());
}

std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& known) {
    std::string_view best;
    std::size_t best_d = 3; // suggest only near misses
    for (auto candidate : known)
        if (auto d = distance(name, candidate); d < best_d)
            best_d = d, best = candidate;
    if (best.empty())
        return "";
    return " (did you mean '" + std::string(best) + "'?)";
}

void toml_reader::fail(const toml::source_region& where, const std::string& why) const {
    std::ostringstream out;
    out << source_ << ":" << where.begin.line << ":" << where.begin.column << ": " << why;
    throw config_error(out.str());
}

void toml_reader::fields(const toml::table& table, const std::string& where,
                         const std::map<std::string, field>& known) const {
    for (const auto& [key, node] : table) {
        auto it = known.find(std::string(key.str()));
        if (it != known.end()) {
            it->second(node);
            continue;
        }
        std::vector<std::string_view> names;
        for (const auto& [name, f] : known)
            names.push_back(name);
        fail(key.source(), "unknown key '" + std::string(key.str()) + "' in " + where +
                               did_you_mean(key.str(), names));
    }
}

const toml::table& toml_reader::table(const toml::node& n, const std::string& name) const {
    if (!n.is_table())
        fail(n.source(), "'" + name + "' must be a table");
    return *n.as_table();
}

std::string toml_reader::string(const toml::node& n, const std::string& name) const {
    if (!n.is_string())
        fail(n.source(), "'" + name + "' must be a string");
    return n.as_string()->get();
}

bool toml_reader::boolean(const toml::node& n, const std::string& name) const {
    if (!n.is_boolean())
        fail(n.source(), "'" + name + "' must be true or false");
    return n.as_boolean()->get();
}

std::int64_t toml_reader::integer(const toml::node& n, const std::string& name, std::int64_t min,
                                  std::int64_t max) const {
    if (!n.is_integer())
        fail(n.source(), "'" + name + "' must be an integer");
    auto v = n.as_integer()->get();
    if (v < min || v > max)
        fail(n.source(), "'" + name + "' must be between " + std::to_string(min) + " and " +
                             std::to_string(max));
    return v;
}

std::vector<std::string> toml_reader::strings(const toml::node& n, const std::string& name) const {
    if (!n.is_array())
        fail(n.source(), "'" + name + "' must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *n.as_array())
        out.push_back(string(e, name + "[]"));
    return out;
}

const toml::array& toml_reader::tables(const toml::node& n, const std::string& name,
                                       const std::string& header) const {
    const auto* a = n.as_array();
    bool ok = a != nullptr;
    if (ok)
        for (const auto& e : *a)
            ok = ok && e.is_table();
    if (!ok)
        fail(n.source(), "'" + name + "' must be an array of tables (" + header + ")");
    return *a;
}

} // namespace gleitzeit::config::detail
