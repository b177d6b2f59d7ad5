// registry-default's state: export_state and import_state in format "registry/1"
// (registry_default.hpp). An import builds a whole new registry aside and swaps it in, so a
// bad state changes nothing.

#include "registry_default.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <algorithm>
#include <array>
#include <span>
#include <utility>

namespace gleitzeit {

namespace json = boost::json;
using registry_default_detail::provider_pool;

namespace {

constexpr std::string_view format_v1 = "registry/1";
constexpr std::array<std::string_view, 3> state_keys{"format", "protocols", "providers"};
constexpr std::array<std::string_view, 4> provider_keys{"id", "protocols", "max_concurrency",
                                                        "load"};

[[noreturn]] void refuse(const std::string& why) {
    throw error(error_code::invalid_argument, "registry-default: state " + why);
}

// Exactly `keys`, so that a field misspelt in a hand-made state is an error, not ignored.
void expect_keys(const json::object& o, std::span<const std::string_view> keys,
                 const std::string& where) {
    for (auto k : keys)
        if (!o.contains(k))
            refuse(where + "has no '" + std::string(k) + "'");
    for (const auto& kv : o)
        if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end())
            refuse(where + "has an unknown key '" + std::string(kv.key()) + "'");
}

std::size_t unsigned_field(const json::object& o, std::string_view key, const std::string& where) {
    const auto& v = o.at(key);
    if (v.is_int64() && v.get_int64() >= 0)
        return static_cast<std::size_t>(v.get_int64());
    if (v.is_uint64())
        return static_cast<std::size_t>(v.get_uint64());
    refuse(where + "." + std::string(key) + " is not an unsigned integer");
}

} // namespace

std::vector<std::string> registry_default::state_formats() const {
    return {std::string(format_v1)};
}

json::object registry_default::export_state(const std::vector<std::string>& accepted) {
    if (std::find(accepted.begin(), accepted.end(), format_v1) == accepted.end()) {
        std::string names;
        for (const auto& a : accepted)
            names += (names.empty() ? "" : ", ") + a;
        throw error(error_code::state_format, "registry-default: cannot write any of [" + names +
                                                  "]; it writes [registry/1]");
    }
    json::object state;
    state.reserve(3);
    state.emplace("format", format_v1);
    auto& protocols = state["protocols"].emplace_array();
    protocols.reserve(protocols_.size());
    for (const auto& [_, p] : protocols_)
        protocols.push_back(json::value_from(p.spec));
    auto& providers = state["providers"].emplace_array();
    for (const auto* e : providers_.in_order()) {
        json::array names;
        names.reserve(e->info.protocols.size());
        for (const auto& n : e->info.protocols)
            names.emplace_back(n);
        providers.push_back(json::object{{"id", e->info.id},
                                         {"protocols", std::move(names)},
                                         {"max_concurrency", e->info.max_concurrency},
                                         {"load", e->load}});
    }
    return state;
}

void registry_default::import_state(const json::object& state) {
    const auto* format = state.if_contains("format");
    const auto* name = format ? format->if_string() : nullptr;
    if (!name)
        throw error(error_code::state_format,
                    "registry-default: the state names no format; it reads [registry/1]");
    if (*name != format_v1)
        throw error(error_code::state_format, "registry-default: cannot read state format '" +
                                                  std::string(*name) + "'; it reads [registry/1]");
    expect_keys(state, state_keys, "");

    decltype(protocols_) protocols;
    const auto* specs = state.at("protocols").if_array();
    if (!specs)
        refuse("protocols is not an array");
    for (std::size_t i = 0; i < specs->size(); ++i) {
        const std::string where = "protocols[" + std::to_string(i) + "]";
        compiled_protocol compiled;
        try {
            compiled = compile(json::value_to<protocol_spec>((*specs)[i]));
        } catch (const error& e) {
            refuse(where + ": " + e.what());
        }
        if (protocols.contains(compiled.spec.id))
            refuse(where + ": protocol '" + compiled.spec.id + "' is listed twice");
        auto id = compiled.spec.id;
        protocols.emplace(std::move(id), std::move(compiled));
    }

    provider_pool providers;
    const auto* entries = state.at("providers").if_array();
    if (!entries)
        refuse("providers is not an array");
    for (std::size_t i = 0; i < entries->size(); ++i) {
        const std::string where = "providers[" + std::to_string(i) + "]";
        const auto* o = (*entries)[i].if_object();
        if (!o)
            refuse(where + " is not an object");
        expect_keys(*o, provider_keys, where + " ");
        provider_info p;
        const auto* id = o->at("id").if_string();
        if (!id)
            refuse(where + ".id is not a string");
        p.id.assign(id->data(), id->size());
        if (providers.find(p.id))
            refuse(where + ": provider '" + p.id + "' is listed twice");
        const auto* names = o->at("protocols").if_array();
        if (!names)
            refuse(where + ".protocols is not an array");
        for (const auto& n : *names) {
            if (!n.is_string())
                refuse(where + ".protocols holds a non-string");
            p.protocols.emplace_back(n.get_string());
        }
        p.max_concurrency = unsigned_field(*o, "max_concurrency", where);
        const auto load = unsigned_field(*o, "load", where);
        try {
            providers.add(p, load);
        } catch (const error& e) {
            refuse(where + ": " + e.what());
        }
    }

    protocols_ = std::move(protocols);
    providers_ = std::move(providers);
}

} // namespace gleitzeit
