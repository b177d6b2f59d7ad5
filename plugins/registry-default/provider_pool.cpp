// registry-default: provider selection, per provider_pool.hpp.

#include "provider_pool.hpp"

#include "gleitzeit/error.hpp"

#include <algorithm>

namespace gleitzeit::registry_default_detail {

void provider_pool::add(const provider_info& p, std::size_t load) {
    if (p.id.empty())
        throw error(error_code::invalid_argument, "the provider id is empty");
    if (p.max_concurrency == 0)
        throw error(error_code::invalid_argument, "provider '" + p.id + "' has max_concurrency 0");
    if (std::any_of(p.protocols.begin(), p.protocols.end(),
                    [](const std::string& s) { return s.empty(); }))
        throw error(error_code::invalid_argument,
                    "provider '" + p.id + "' lists an empty protocol");

    auto& slot = providers_[p.id];
    if (slot) {
        for (const auto& protocol : slot->info.protocols)
            leave(protocol, slot.get());
    } else {
        slot = std::make_unique<provider_entry>();
        slot->serial = next_serial_++;
        slot->load = load;
    }
    slot->info.id = p.id;
    slot->info.max_concurrency = p.max_concurrency;
    slot->info.protocols.clear();
    for (const auto& protocol : p.protocols) {
        // A protocol listed twice would give the provider two turns in its ring.
        if (std::find(slot->info.protocols.begin(), slot->info.protocols.end(), protocol) !=
            slot->info.protocols.end())
            continue;
        slot->info.protocols.push_back(protocol);
        rings_[protocol].members.push_back(slot.get());
    }
}

bool provider_pool::remove(const std::string& id) {
    auto it = providers_.find(id);
    if (it == providers_.end())
        return false;
    for (const auto& protocol : it->second->info.protocols)
        leave(protocol, it->second.get());
    providers_.erase(it);
    return true;
}

void provider_pool::leave(const std::string& protocol, provider_entry* e) {
    auto ring = rings_.find(protocol);
    if (ring == rings_.end())
        return;
    auto& members = ring->second.members;
    auto at = std::find(members.begin(), members.end(), e);
    if (at == members.end())
        return;
    // Keep the rotation where it was: the provider that was next stays next.
    const auto index = static_cast<std::size_t>(at - members.begin());
    members.erase(at);
    if (members.empty()) {
        rings_.erase(ring);
        return;
    }
    auto& next = ring->second.next;
    if (index < next)
        --next;
    if (next >= members.size())
        next = 0;
}

std::optional<std::string> provider_pool::choose(const std::string& protocol) {
    auto ring = rings_.find(protocol);
    if (ring == rings_.end())
        return std::nullopt;
    auto& [members, next] = ring->second;
    const std::size_t n = members.size();
    std::size_t best = n;
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = (next + k) % n;
        const auto* e = members[i];
        if (e->load < e->info.max_concurrency && (best == n || e->load < members[best]->load))
            best = i;
    }
    if (best == n)
        return std::nullopt;
    next = (best + 1) % n;
    return members[best]->info.id;
}

void provider_pool::track_load(const std::string& id, int delta) {
    auto it = providers_.find(id);
    if (it == providers_.end())
        return; // a call that ended after its provider left
    auto& load = it->second->load;
    if (delta < 0) {
        const auto down = static_cast<std::size_t>(-static_cast<long long>(delta));
        load = down > load ? 0 : load - down;
    } else {
        load += static_cast<std::size_t>(delta);
    }
}

std::vector<const provider_entry*> provider_pool::in_order() const {
    std::vector<const provider_entry*> out;
    out.reserve(providers_.size());
    for (const auto& [_, e] : providers_)
        out.push_back(e.get());
    std::sort(out.begin(), out.end(),
              [](const auto* a, const auto* b) { return a->serial < b->serial; });
    return out;
}

const provider_entry* provider_pool::find(const std::string& id) const {
    auto it = providers_.find(id);
    return it == providers_.end() ? nullptr : it->second.get();
}

} // namespace gleitzeit::registry_default_detail
