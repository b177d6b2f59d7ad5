#pragma once
// The providers the pipeline may call, in-process and remote, with their credits
// (max_concurrency minus the calls in flight), and what the registry slot made of their
// protocols. A dispatch round takes from the queue as many tasks as there are free credits;
// the registry slot chooses each one's provider, and choose() checks that choice against the
// credits here, or falls back to the least loaded provider (docs/architecture.md, "The
// pipeline"). It lives on the pipeline's strand; the trips to the slots are the pipeline's
// (pipeline_dispatch.cpp).

#include "hub/batcher.hpp"
#include "hub/provider_link.hpp"

#include <gleitzeit/types.hpp>

#include <boost/json/array.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gleitzeit {
class queue;
class registry;
} // namespace gleitzeit

namespace gleitzeit::hub {

/// What the registry slot made of providers' protocols.
struct registration_result {
    std::set<std::string> registered; // protocols it took: their calls are checked
    std::vector<std::string> refused; // why it refused the others, for the log
};

/// Registers a provider's protocols and the provider with `r`; a refused protocol's calls
/// go unchecked, and the provider still serves them. Runs on the registry slot's strand.
void register_provider(registry& r, const std::string& name,
                       const std::vector<protocol_spec>& specs, std::size_t max_concurrency,
                       registration_result& out);

/// Free credits of one provider, as a round counts them down on the queue's strand.
struct credit {
    std::vector<std::string> protocols;
    std::size_t free = 0;
};

/// Takes from `q`, in its dispatch order, as many tasks as `credits` can take, with the
/// workflows' own task ids. Runs on the queue slot's strand.
std::vector<task> take_for(queue& q, std::vector<credit> credits);

class dispatcher {
public:
    struct provider_entry {
        std::vector<std::string> protocols;
        std::size_t max_concurrency = 0;
        std::size_t in_flight = 0; // calls sent, not answered yet
        std::shared_ptr<provider_link> link;
        bool remote = false;
    };
    /// A provider plugin as its instance describes itself.
    struct plugin_provider {
        std::vector<protocol_spec> protocols;
        std::size_t max_concurrency = 0;
    };

    void add_remote(const std::string& name, std::vector<std::string> protocols,
                    std::size_t max_concurrency, std::shared_ptr<provider_link> link);
    /// The provider plugins loaded now: those that went (and run nothing) stop being offered
    /// work; those that came are added, with the link `link_of` makes.
    template <class LinkOf>
    void set_plugins(const std::map<std::string, plugin_provider>& now, LinkOf&& link_of);
    void remove(const std::string& name);
    provider_entry* find(const std::string& name);

    /// Notes what the registry took, and logs each refusal once.
    void took(const registration_result& r);
    /// True when the registry knows a protocol of the same name ("echo" of "echo/v9").
    bool family_known(const std::string& protocol) const;
    bool checked(const std::string& protocol) const { return checked_.count(protocol) > 0; }
    /// Some provider serves `protocol`.
    bool served(const std::string& protocol) const;

    /// The free credits now; empty if no provider can take a call.
    std::vector<credit> credits() const;
    /// A round's trips; one at a time.
    struct round_request {
        bool wanted = false;
        bool empty() const { return !wanted; }
    };
    batcher<round_request> rounds;
    /// Load changes the registry has not heard of yet; they go with the next round's trip.
    std::map<std::string, int> take_load_changes() { return std::exchange(load_changes_, {}); }
    /// The provider to run `t`: `chosen` (the registry's choice) if it can take it, else the
    /// least loaded one with a free credit, or null.
    const std::string* choose(const task& t, const std::string& chosen);

    /// A call started on `name`, or ended: its credit is taken or free again.
    void call_started(const std::string& name);
    void call_ended(const std::string& name);
    /// A call chosen for `name` that did not start (its task was no longer ready: cancelled
    /// while queued, or a stale copy from a refilled queue): the registry's count of it is
    /// taken back.
    void call_dropped(const std::string& name);

    /// [{name, local, protocols, max_concurrency, in_flight}].
    boost::json::array describe() const;
    /// Calls sent to any provider and not answered yet.
    std::size_t in_flight() const;

private:
    const std::string* least_loaded(const task& t) const;
    static bool can_take(const provider_entry& p, const std::string& protocol);

    std::map<std::string, provider_entry> providers_;
    std::set<std::string> checked_;  // what the registry took from the providers
    std::set<std::string> reported_; // refusals already logged
    std::map<std::string, int> load_changes_;
};

template <class LinkOf>
void dispatcher::set_plugins(const std::map<std::string, plugin_provider>& now, LinkOf&& link_of) {
    for (auto it = providers_.begin(); it != providers_.end();) {
        auto& [name, e] = *it;
        if (!e.remote && !now.count(name) && e.in_flight == 0)
            it = providers_.erase(it);
        else
            ++it;
    }
    for (const auto& [name, p] : now) {
        auto& e = providers_[name];
        e.protocols.clear();
        for (const auto& spec : p.protocols)
            e.protocols.push_back(spec.id);
        e.max_concurrency = p.max_concurrency;
        if (!e.link)
            e.link = link_of(name);
    }
}

} // namespace gleitzeit::hub
