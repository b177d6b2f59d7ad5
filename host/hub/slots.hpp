#pragma once
// The hub's one way to the plugin slots (docs/architecture.md, "The slot seam"). host/hub
// knows the slots only through this interface: the daemon gives it an adapter over the plugin
// host (host/daemon/plugin_slots.hpp), and tests/unit/hub gives it fakes.
//
// Every call runs `fn` on the slot's own strand with the slot's current instance, or with
// null when the slot is empty or its instance is not of that kind. `fn` may run on any thread
// (the persistence slot runs on the blocking pool): it hands its outcome back to the caller's
// strand itself.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gleitzeit {
class queue;
class resolver;
class registry;
class persistence;
class workflow_archive;
class provider;
} // namespace gleitzeit

namespace gleitzeit::hub {

class provider_link;

template <class Slot> using slot_fn = std::function<void(Slot*)>;

class slots {
public:
    virtual ~slots() = default;

    /// with<queue>(fn), with<resolver>(fn), with<registry>(fn), with<persistence>(fn).
    template <class Slot, class Fn> void with(Fn&& fn) {
        visit(slot_fn<Slot>(std::forward<Fn>(fn)));
    }

    /// The persistence plugin's archive of finished workflows, if it keeps one
    /// (gleitzeit/archive.hpp); call it only inside with<persistence>.
    virtual workflow_archive* archive_of(persistence& store) = 0;

    /// The provider plugins loaded now, by name.
    virtual std::vector<std::string> providers() const = 0;
    /// Runs `fn` on the provider's strand with its current instance (null if none).
    virtual void with_provider(const std::string& name, slot_fn<provider> fn) = 0;
    /// How the pipeline calls the provider plugin `name` (a swap drains its calls in flight).
    virtual std::shared_ptr<provider_link> link(const std::string& name) = 0;

    virtual void visit(slot_fn<queue> fn) = 0;
    virtual void visit(slot_fn<resolver> fn) = 0;
    virtual void visit(slot_fn<registry> fn) = 0;
    virtual void visit(slot_fn<persistence> fn) = 0;
};

} // namespace gleitzeit::hub
