#include "hub/dispatcher.hpp"

#include "hub/task_ids.hpp"
#include "log/log.hpp"

#include <gleitzeit/queue.hpp>
#include <gleitzeit/registry.hpp>

#include <boost/json/value_from.hpp>

#include <algorithm>

namespace gleitzeit::hub {

namespace {

bool serves(const std::vector<std::string>& protocols, const std::string& protocol) {
    return std::find(protocols.begin(), protocols.end(), protocol) != protocols.end();
}

/// The protocols some credit can still take.
std::vector<std::string> wanted(const std::vector<credit>& credits) {
    std::vector<std::string> out;
    for (const auto& c : credits)
        if (c.free)
            for (const auto& p : c.protocols)
                if (!serves(out, p))
                    out.push_back(p);
    return out;
}

} // namespace

void register_provider(registry& r, const std::string& name,
                       const std::vector<protocol_spec>& specs, std::size_t max_concurrency,
                       registration_result& out) {
    provider_info info{name, {}, max_concurrency};
    for (const auto& spec : specs) {
        info.protocols.push_back(spec.id);
        try {
            r.register_protocol(spec);
            out.registered.insert(spec.id);
        } catch (const std::exception& e) {
            out.refused.push_back("the registry refused " + spec.id + " of " + name + ": " +
                                  e.what());
        }
    }
    r.register_provider(info);
}

std::vector<task> take_for(queue& q, std::vector<credit> credits) {
    std::vector<task> got;
    auto protocols = wanted(credits);
    while (!protocols.empty()) {
        auto t = q.dequeue(protocols);
        if (!t)
            break;
        for (auto& c : credits)
            if (c.free && serves(c.protocols, t->protocol)) {
                if (--c.free == 0)
                    protocols = wanted(credits);
                break;
            }
        got.push_back(unqualified(std::move(*t)));
    }
    return got;
}

void dispatcher::add_remote(const std::string& name, std::vector<std::string> protocols,
                            std::size_t max_concurrency, std::shared_ptr<provider_link> link) {
    auto& e = providers_[name];
    e.protocols = std::move(protocols);
    e.max_concurrency = max_concurrency;
    e.link = std::move(link);
    e.remote = true;
}

void dispatcher::remove(const std::string& name) {
    providers_.erase(name);
    load_changes_.erase(name); // the registry forgets it with it
}

dispatcher::provider_entry* dispatcher::find(const std::string& name) {
    auto it = providers_.find(name);
    return it == providers_.end() ? nullptr : &it->second;
}

void dispatcher::took(const registration_result& r) {
    checked_.insert(r.registered.begin(), r.registered.end());
    for (const auto& why : r.refused)
        if (reported_.insert(why).second)
            log::warn(why);
}

bool dispatcher::family_known(const std::string& protocol) const {
    auto name = protocol.substr(0, protocol.find('/'));
    for (const auto& id : checked_)
        if (id.substr(0, id.find('/')) == name)
            return true;
    return false;
}

bool dispatcher::served(const std::string& protocol) const {
    for (const auto& [name, p] : providers_)
        if (serves(p.protocols, protocol))
            return true;
    return false;
}

std::vector<credit> dispatcher::credits() const {
    std::vector<credit> out;
    for (const auto& [name, p] : providers_)
        if (p.in_flight < p.max_concurrency && !p.protocols.empty() && p.link->alive())
            out.push_back({p.protocols, p.max_concurrency - p.in_flight});
    return out;
}

bool dispatcher::can_take(const provider_entry& p, const std::string& protocol) {
    return p.in_flight < p.max_concurrency && serves(p.protocols, protocol) && p.link->alive();
}

const std::string* dispatcher::choose(const task& t, const std::string& chosen) {
    if (auto it = providers_.find(chosen);
        it != providers_.end() && can_take(it->second, t.protocol))
        return &it->first;
    // Overruled: the registry counted a call that will not run there.
    if (!chosen.empty())
        --load_changes_[chosen];
    const auto* who = least_loaded(t);
    if (who)
        ++load_changes_[*who];
    return who;
}

const std::string* dispatcher::least_loaded(const task& t) const {
    const std::string* best = nullptr;
    double best_load = 0;
    for (const auto& [name, p] : providers_) {
        if (!can_take(p, t.protocol))
            continue;
        const double load =
            static_cast<double>(p.in_flight) / static_cast<double>(p.max_concurrency);
        if (!best || load < best_load) {
            best = &name;
            best_load = load;
        }
    }
    return best;
}

void dispatcher::call_started(const std::string& name) {
    if (auto* p = find(name))
        ++p->in_flight;
}

void dispatcher::call_dropped(const std::string& name) {
    if (find(name))
        --load_changes_[name];
}

void dispatcher::call_ended(const std::string& name) {
    auto* p = find(name);
    if (!p)
        return; // it went; the registry forgot it with it
    if (p->in_flight > 0)
        --p->in_flight;
    --load_changes_[name];
}

std::size_t dispatcher::in_flight() const {
    std::size_t n = 0;
    for (const auto& [name, p] : providers_)
        n += p.in_flight;
    return n;
}

boost::json::array dispatcher::describe() const {
    boost::json::array out;
    for (const auto& [name, p] : providers_)
        out.push_back(boost::json::object{{"name", name},
                                          {"local", !p.remote},
                                          {"protocols", boost::json::value_from(p.protocols)},
                                          {"max_concurrency", p.max_concurrency},
                                          {"in_flight", p.in_flight}});
    return out;
}

} // namespace gleitzeit::hub
