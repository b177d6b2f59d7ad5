#pragma once
// Reading one gleitzeit.toml: typed access to toml++ nodes that fails with
// "source:line:column: reason" at the offending key or value, and the "did you mean" hint for
// a misspelt name. Shared by the section readers; not part of the public model.

#include "config/settings.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::config::detail {

/// "source:line:column: description" of a TOML syntax error.
std::string describe(const toml::parse_error& e, const std::string& source);

/// " (did you mean 'x'?)" when one of `known` is a near miss of `name`, else "".
std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& known);

class toml_reader {
public:
    explicit toml_reader(std::string source) : source_(std::move(source)) {}

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

} // namespace gleitzeit::config::detail
