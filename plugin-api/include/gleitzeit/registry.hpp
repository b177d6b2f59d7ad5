#pragma once
// The registry slot: protocols, their methods' parameter schemas, and who provides them.

#include "gleitzeit/plugin.hpp"
#include "gleitzeit/types.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace gleitzeit {

struct provider_info {
    std::string id; // component id, unique while connected
    std::vector<std::string> protocols;
    std::size_t max_concurrency = 1;
};

class registry : public plugin {
public:
    ~registry() override;

    /// Throws error(invalid_argument) for a malformed spec.
    virtual void register_protocol(const protocol_spec& spec) = 0;
    virtual std::optional<protocol_spec> find_protocol(const std::string& id) const = 0;
    virtual void register_provider(const provider_info& p) = 0;
    virtual void unregister_provider(const std::string& provider_id) = 0;
    /// Throws error(invalid_argument) naming the parameter when `params` fail the method's
    /// schema, error(not_found) for an unknown method of a known protocol.
    virtual void validate_call(const std::string& protocol, const std::string& method,
                               const boost::json::object& params) const = 0;
    /// A provider of `protocol` with a free slot: least loaded, then round-robin.
    virtual std::optional<std::string> find_provider(const std::string& protocol) = 0;
    /// Tells the registry that a call to `provider_id` started (+1) or ended (-1).
    virtual void track_load(const std::string& provider_id, int delta) = 0;
};

} // namespace gleitzeit
