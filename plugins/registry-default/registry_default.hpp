#pragma once
// registry-default: the registry slot in memory. Protocols with their methods' parameter
// schemas (param_schema.hpp), the providers that serve them and the choice among those
// (provider_pool.hpp).
//
// Config (the [slots.registry.config] table, as JSON): none. Any key is refused with
// error(invalid_argument, "registry-default: unknown config key 'x'").
//
// register_protocol checks the spec whole before it changes anything: the id is "name/vN"
// (name of letters, digits, '-', '_' and '.'; N a decimal number), method names are
// non-empty and unique, every schema is well formed and every pattern compiles. Registering
// an id again replaces its spec, which is a no-op when the spec is the same: a provider that
// reconnects registers its protocol again. Providers are not tied to specs: a provider may
// register before its protocol's spec. validate_call of a protocol with no spec is not_found;
// whether such a call is refused is the hub's decision (docs/architecture.md, "The pipeline").
//
// validate_call messages, `where` being "<protocol> <method>":
//   unknown protocol     not_found "unknown protocol 'echo/v9' (known: echo/v1)", the
//                        parenthesis listing the registered versions of the same name
//   unknown method       not_found "protocol 'echo/v1' has no method 'ech' (did you mean
//                        'echo'?)", or "(it has: a, b)" when no name is within 2 edits
//   params               invalid_argument "echo/v1 delay: params.ms: <rule>" (param_schema.hpp)
//
// State format "registry/1":
//   {"format": "registry/1",
//    "protocols": [<protocol_spec as JSON, types.hpp>, ...],       (sorted by id)
//    "providers": [{"id": "...", "protocols": ["..."], "max_concurrency": <uint >= 1>,
//                   "load": <uint>}, ...]}                           (registration order)
// The round-robin starts are not carried: after a swap each protocol starts at its first
// provider, which only changes who of equally loaded providers goes first.

#include "param_schema.hpp"
#include "provider_pool.hpp"

#include "gleitzeit/registry.hpp"

#include <map>
#include <string>
#include <vector>

namespace gleitzeit {

class registry_default : public registry {
public:
    explicit registry_default(const boost::json::object& config);
    ~registry_default() override;

    void register_protocol(const protocol_spec& spec) override;
    std::optional<protocol_spec> find_protocol(const std::string& id) const override;
    void register_provider(const provider_info& p) override;
    void unregister_provider(const std::string& provider_id) override;
    void validate_call(const std::string& protocol, const std::string& method,
                       const boost::json::object& params) const override;
    std::optional<std::string> find_provider(const std::string& protocol) override;
    void track_load(const std::string& provider_id, int delta) override;

    std::vector<std::string> state_formats() const override;
    boost::json::object export_state(const std::vector<std::string>& accepted) override;
    void import_state(const boost::json::object& state) override;

    /// The load the registry counts for a provider; nullopt for an unknown id.
    std::optional<std::size_t> load_of(const std::string& provider_id) const;

    struct compiled_method {
        std::string name;
        registry_default_detail::object_schema params;
    };
    struct compiled_protocol {
        protocol_spec spec;
        std::vector<compiled_method> methods; // in spec order
    };
    /// Checks `spec` and compiles its schemas; throws error(invalid_argument).
    static compiled_protocol compile(const protocol_spec& spec);

private:
    // Ordered, so that a family's versions and the exported state come out sorted.
    std::map<std::string, compiled_protocol, std::less<>> protocols_;
    registry_default_detail::provider_pool providers_;
};

} // namespace gleitzeit
