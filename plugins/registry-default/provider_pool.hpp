#pragma once
// registry-default: the providers, their load, and the choice among those of a protocol.
//
// Choice: among the providers of the protocol whose load is below their max_concurrency, the
// one with the lowest load (absolute number of calls in flight); among equals, the first
// from a rotating start, so providers of equal load take turns. Each protocol keeps its own
// start, just past the provider it chose last. find and track_load cost O(providers of that
// protocol); a provider is reached from its id in O(1).

#include "gleitzeit/registry.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gleitzeit::registry_default_detail {

struct provider_entry {
    provider_info info;
    std::size_t load = 0;
    std::uint64_t serial = 0; // registration order, kept in the exported state
};

class provider_pool {
public:
    /// Adds `p`, or updates the protocols and max_concurrency of the provider with its id,
    /// keeping its load: the calls in flight to it still end with track_load(-1). Throws
    /// error(invalid_argument) for an empty id or protocol, or max_concurrency 0.
    void add(const provider_info& p, std::size_t load = 0);
    /// False for an unknown id.
    bool remove(const std::string& id);
    std::optional<std::string> choose(const std::string& protocol);
    void track_load(const std::string& id, int delta);

    /// The providers in registration order.
    std::vector<const provider_entry*> in_order() const;
    const provider_entry* find(const std::string& id) const;

private:
    struct protocol_ring {
        std::vector<provider_entry*> members; // in the order they joined
        std::size_t next = 0;                 // where the next search starts
    };

    void leave(const std::string& protocol, provider_entry* e);

    std::unordered_map<std::string, std::unique_ptr<provider_entry>> providers_;
    std::unordered_map<std::string, protocol_ring> rings_;
    std::uint64_t next_serial_ = 0;
};

} // namespace gleitzeit::registry_default_detail
