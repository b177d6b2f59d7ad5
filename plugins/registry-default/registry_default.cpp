// registry-default: protocols, call validation and provider choice (registry_default.hpp).
// The state lives in registry_state.cpp.

#include "registry_default.hpp"

#include "gleitzeit/error.hpp"

#include <algorithm>

namespace gleitzeit {

namespace json = boost::json;
using namespace registry_default_detail;

namespace {

bool name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

// "echo/v1" -> "echo"; empty when `id` is not of the form name/vN.
std::string_view family_of(std::string_view id) noexcept {
    const auto slash = id.find('/');
    if (slash == 0 || slash == std::string_view::npos)
        return {};
    const auto name = id.substr(0, slash);
    const auto version = id.substr(slash + 1);
    if (!std::all_of(name.begin(), name.end(), name_char) || version.size() < 2 ||
        version[0] != 'v' || !std::all_of(version.begin() + 1, version.end(), [](char c) {
            return c >= '0' && c <= '9';
        }))
        return {};
    return name;
}

} // namespace

registry_default::registry_default(const json::object& config) {
    for (const auto& kv : config)
        throw error(error_code::invalid_argument,
                    "registry-default: unknown config key '" + std::string(kv.key()) + "'");
}

registry_default::~registry_default() = default;

registry_default::compiled_protocol registry_default::compile(const protocol_spec& spec) {
    if (family_of(spec.id).empty())
        throw error(error_code::invalid_argument,
                    "protocol id '" + spec.id + "' is not of the form name/vN (e.g. echo/v1)");
    compiled_protocol out;
    out.methods.reserve(spec.methods.size());
    for (std::size_t i = 0; i < spec.methods.size(); ++i) {
        const auto& m = spec.methods[i];
        if (m.name.empty())
            throw error(error_code::invalid_argument, "protocol '" + spec.id + "' method " +
                                                          std::to_string(i) + " has an empty name");
        if (std::any_of(out.methods.begin(), out.methods.end(),
                        [&](const compiled_method& c) { return c.name == m.name; }))
            throw error(error_code::invalid_argument,
                        "protocol '" + spec.id + "' declares method '" + m.name + "' twice");
        const std::string where = "protocol '" + spec.id + "' method '" + m.name + "'";
        out.methods.push_back({m.name, compile_method_params(m.params, where)});
    }
    out.spec = spec;
    return out;
}

void registry_default::register_protocol(const protocol_spec& spec) {
    auto compiled = compile(spec);
    protocols_.insert_or_assign(spec.id, std::move(compiled));
}

std::optional<protocol_spec> registry_default::find_protocol(const std::string& id) const {
    auto it = protocols_.find(id);
    if (it == protocols_.end())
        return std::nullopt;
    return it->second.spec;
}

void registry_default::validate_call(const std::string& protocol, const std::string& method,
                                     const json::object& params) const {
    auto it = protocols_.find(protocol);
    if (it == protocols_.end()) {
        std::string message = "unknown protocol '" + protocol + "'";
        // The family's other versions: "echo/" sorts right before every "echo/vN".
        const auto family = family_of(protocol);
        if (!family.empty()) {
            const std::string prefix = std::string(family) + "/";
            std::string known;
            for (auto f = protocols_.lower_bound(prefix);
                 f != protocols_.end() && f->first.starts_with(prefix); ++f)
                known += (known.empty() ? "" : ", ") + f->first;
            if (!known.empty())
                message += " (known: " + known + ")";
        }
        throw error(error_code::not_found, message);
    }
    const auto& methods = it->second.methods;
    auto m = std::find_if(methods.begin(), methods.end(),
                          [&](const compiled_method& c) { return c.name == method; });
    if (m == methods.end()) {
        std::vector<std::string_view> names;
        names.reserve(methods.size());
        for (const auto& c : methods)
            names.push_back(c.name);
        std::string message = "protocol '" + protocol + "' has no method '" + method + "'";
        if (const auto near = nearest(method, names); !near.empty()) {
            message += " (did you mean '" + std::string(near) + "'?)";
        } else if (!names.empty()) {
            std::string all;
            for (auto n : names)
                all += (all.empty() ? "" : ", ") + std::string(n);
            message += " (it has: " + all + ")";
        }
        throw error(error_code::not_found, message);
    }
    check_method_params(m->params, params, call_site{protocol, method});
}

void registry_default::register_provider(const provider_info& p) {
    providers_.add(p);
}

void registry_default::unregister_provider(const std::string& provider_id) {
    providers_.remove(provider_id);
}

std::optional<std::string> registry_default::find_provider(const std::string& protocol) {
    return providers_.choose(protocol);
}

void registry_default::track_load(const std::string& provider_id, int delta) {
    providers_.track_load(provider_id, delta);
}

std::optional<std::size_t> registry_default::load_of(const std::string& provider_id) const {
    const auto* e = providers_.find(provider_id);
    if (!e)
        return std::nullopt;
    return e->load;
}

} // namespace gleitzeit
