#pragma once
// Reading a TOML file a user wrote (gleitzeit.toml, a drop-in's sidecar, a workflow file):
// typed access to toml++ nodes that fails with "source:line:column: reason" at the offending
// key or value, and the "did you mean" hint for a misspelt name. The daemon's config and the
// `gleitzeit` CLI both read through it, so that their errors read alike.

#include <boost/json/object.hpp>

#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::toml_file {

/// What reader::fail throws; what() reads "source:line:column: reason".
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parses TOML `text`; `source` names it in errors. Throws error ("source:line:column:
/// description") on a syntax error.
toml::table parse(std::string_view text, const std::string& source);

/// " (did you mean 'x'?)" when one of `known` is a near miss of `name`, else "".
std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& known);

class reader {
public:
    explicit reader(std::string source) : source_(std::move(source)) {}

    const std::string& source() const { return source_; }

    [[noreturn]] void fail(const toml::source_region& where, const std::string& why) const;

    using field = std::function<void(const toml::node&)>;

    /// Visits each key of `table` with its handler; any other key is an error that names
    /// `where` (e.g. "[server]") and suggests the nearest known key.
    void fields(const toml::table& table, const std::string& where,
                const std::map<std::string, field>& known) const;

    const toml::table& table(const toml::node& n, const std::string& name) const;
    std::string string(const toml::node& n, const std::string& name) const;
    bool boolean(const toml::node& n, const std::string& name) const;
    std::int64_t integer(const toml::node& n, const std::string& name, std::int64_t min,
                         std::int64_t max) const;
    std::vector<std::string> strings(const toml::node& n, const std::string& name) const;
    /// An array whose elements are all tables; unlike toml++'s is_array_of_tables(), an empty
    /// array is one too, so that `providers = []` means "none".
    const toml::array& tables(const toml::node& n, const std::string& name,
                              const std::string& header) const;

private:
    std::string source_;
};

/// A table as JSON (a plugin's config, a workflow): dates and times become RFC 3339 strings;
/// a value JSON cannot hold (inf, nan) fails. `name` is the table's dotted path, for errors.
boost::json::object table_to_json(const reader& r, const toml::table& t, const std::string& name);

} // namespace gleitzeit::toml_file
