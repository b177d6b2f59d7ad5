// Dispatch (DESIGN §5): ready tasks leave the queue only for free provider credits
// (max_concurrency), and the registry slot chooses which provider runs each one
// (find_provider: least loaded, then round-robin). One round is one trip to the queue's
// strand and one to the registry's, for as many tasks as there are free credits.

#include "hub/pipeline_state.hpp"
#include "log/log.hpp"

#include <gleitzeit/queue.hpp>
#include <gleitzeit/registry.hpp>

#include <algorithm>

namespace gleitzeit::hub {

namespace {

/// Free credits of one provider, as the queue's side of a round counts them down.
struct credit {
    std::vector<std::string> protocols;
    std::size_t free = 0;
};

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

/// Takes from the queue, in its dispatch order, as many tasks as the credits can take.
std::vector<task> take(queue& q, std::vector<credit> credits) {
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

} // namespace

void pipeline::state::dispatch() {
    if (dispatching) {
        dispatch_again = true;
        return;
    }
    std::vector<credit> credits;
    for (const auto& [name, p] : providers)
        if (p.in_flight < p.max_concurrency && !p.protocols.empty() && p.link->alive())
            credits.push_back({p.protocols, p.max_concurrency - p.in_flight});
    if (credits.empty())
        return;
    dispatching = true;
    dispatch_again = false;
    slot.with<queue>([self = shared_from_this(), credits = std::move(credits)](queue* q) mutable {
        std::vector<task> got;
        try {
            if (q)
                got = take(*q, std::move(credits));
        } catch (const std::exception& e) {
            // What it handed out before it threw is lost to it, but still ready here: the
            // next refill of the slot or a restart puts it back. Nothing more this round.
            log::error(std::string("the queue slot failed a dequeue: ") + e.what());
        }
        if (got.empty())
            return self->on_strand([](state& s) {
                s.dispatching = false;
                if (s.dispatch_again)
                    s.dispatch();
            });
        self->on_strand([got = std::move(got)](state& s) mutable {
            auto changes = std::exchange(s.load_changes, {});
            s.slot.with<registry>([self = s.shared_from_this(), got = std::move(got),
                                   changes = std::move(changes)](registry* r) mutable {
                std::vector<std::string> chosen(got.size());
                // A registry that fails leaves the choice to the fallback below.
                if (r) {
                    try {
                        for (const auto& [provider, delta] : changes)
                            if (delta)
                                r->track_load(provider, delta);
                        for (std::size_t i = 0; i < got.size(); ++i)
                            if (auto who = r->find_provider(got[i].protocol)) {
                                r->track_load(*who, +1);
                                chosen[i] = std::move(*who);
                            }
                    } catch (const std::exception& e) {
                        log::error(std::string("the registry slot failed to choose a provider: ") +
                                   e.what());
                    }
                }
                self->on_strand([got = std::move(got), chosen = std::move(chosen)](state& s) mutable {
                    s.dispatching = false;
                    std::vector<task> back;
                    for (std::size_t i = 0; i < got.size(); ++i) {
                        auto& t = got[i];
                        const std::string* who = nullptr;
                        auto it = s.providers.find(chosen[i]);
                        if (it != s.providers.end() && it->second.in_flight < it->second.max_concurrency &&
                            serves(it->second.protocols, t.protocol) && it->second.link->alive()) {
                            who = &it->first;
                        } else {
                            // Overruled: the registry counted a call that will not run there.
                            if (!chosen[i].empty())
                                --s.load_changes[chosen[i]];
                            who = s.fallback_provider(t);
                            if (who)
                                ++s.load_changes[*who];
                        }
                        if (who) {
                            s.start(*who, std::move(t));
                        } else if (auto* e = s.find_task(t.workflow_id, t.id);
                                   e && e->t.state == task_state::ready) {
                            back.push_back(e->t); // its provider went meanwhile
                        }
                    }
                    s.enqueue(std::move(back)); // and runs the next round
                });
            });
        });
    });
}

const std::string* pipeline::state::fallback_provider(const task& t) const {
    const std::string* best = nullptr;
    double best_load = 0;
    for (const auto& [name, p] : providers) {
        if (p.in_flight >= p.max_concurrency || !serves(p.protocols, t.protocol) ||
            !p.link->alive())
            continue;
        const double load = static_cast<double>(p.in_flight) / static_cast<double>(p.max_concurrency);
        if (!best || load < best_load) {
            best = &name;
            best_load = load;
        }
    }
    return best;
}

void pipeline::state::call_ended(const std::string& provider_name) {
    auto it = providers.find(provider_name);
    if (it == providers.end())
        return; // it went; the registry forgot it with it
    if (it->second.in_flight > 0)
        --it->second.in_flight;
    --load_changes[provider_name];
}

} // namespace gleitzeit::hub
