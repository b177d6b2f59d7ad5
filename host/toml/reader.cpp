#include "toml/reader.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace gleitzeit::toml_file {
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

namespace json = boost::json;

template <class T> json::string iso_text(const T& v) {
    // toml++ prints dates and times as RFC 3339, which is what a JSON consumer expects.
    std::ostringstream out;
    out << v;
    return json::string(out.str());
}

/// `n` as JSON; `name` is its dotted path, for errors.
json::value to_json(const reader& r, const toml::node& n, const std::string& name) {
    switch (n.type()) {
    case toml::node_type::table: {
        json::object o;
        for (const auto& [key, v] : *n.as_table())
            o[key.str()] = to_json(r, v, name + "." + std::string(key.str()));
        return o;
    }
    case toml::node_type::array: {
        json::array a;
        for (const auto& e : *n.as_array())
            a.push_back(to_json(r, e, name + "[]"));
        return a;
    }
    case toml::node_type::string:
        return json::string(n.as_string()->get());
    case toml::node_type::integer:
        return n.as_integer()->get();
    case toml::node_type::floating_point: {
        double d = n.as_floating_point()->get();
        if (!std::isfinite(d))
            r.fail(n.source(), "'" + name + "' must be a finite number (JSON has no inf or nan)");
        return d;
    }
    case toml::node_type::boolean:
        return n.as_boolean()->get();
    case toml::node_type::date:
        return iso_text(n.as_date()->get());
    case toml::node_type::time:
        return iso_text(n.as_time()->get());
    case toml::node_type::date_time:
        return iso_text(n.as_date_time()->get());
    case toml::node_type::none:
        break;
    }
    r.fail(n.source(), "'" + name + "' has a value JSON cannot hold");
}

} // namespace

toml::table parse(std::string_view text, const std::string& source) {
    try {
        return toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        throw error(source + ":" + std::to_string(e.source().begin.line) + ":" +
                    std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
    }
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

void reader::fail(const toml::source_region& where, const std::string& why) const {
    std::ostringstream out;
    out << source_ << ":" << where.begin.line << ":" << where.begin.column << ": " << why;
    throw error(out.str());
}

void reader::fields(const toml::table& table, const std::string& where,
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

const toml::table& reader::table(const toml::node& n, const std::string& name) const {
    if (!n.is_table())
        fail(n.source(), "'" + name + "' must be a table");
    return *n.as_table();
}

std::string reader::string(const toml::node& n, const std::string& name) const {
    if (!n.is_string())
        fail(n.source(), "'" + name + "' must be a string");
    return n.as_string()->get();
}

bool reader::boolean(const toml::node& n, const std::string& name) const {
    if (!n.is_boolean())
        fail(n.source(), "'" + name + "' must be true or false");
    return n.as_boolean()->get();
}

std::int64_t reader::integer(const toml::node& n, const std::string& name, std::int64_t min,
                                  std::int64_t max) const {
    if (!n.is_integer())
        fail(n.source(), "'" + name + "' must be an integer");
    auto v = n.as_integer()->get();
    if (v < min || v > max)
        fail(n.source(), "'" + name + "' must be between " + std::to_string(min) + " and " +
                             std::to_string(max));
    return v;
}

std::vector<std::string> reader::strings(const toml::node& n, const std::string& name) const {
    if (!n.is_array())
        fail(n.source(), "'" + name + "' must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *n.as_array())
        out.push_back(string(e, name + "[]"));
    return out;
}

const toml::array& reader::tables(const toml::node& n, const std::string& name,
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

json::object table_to_json(const reader& r, const toml::table& t, const std::string& name) {
    return std::move(to_json(r, t, name).as_object());
}

} // namespace gleitzeit::toml_file
