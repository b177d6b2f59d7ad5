#pragma once
// The stateful slots filled by remote components (docs/architecture.md, "Hot swap", the last
// paragraph). Each proxy implements a slot's typed interface (gleitzeit/queue.hpp,
// resolver.hpp, registry.hpp, persistence.hpp) by sending that slot's events to the component
// and waiting for its reply; the pipeline calls it exactly as it calls a plugin.
// docs/events.md, "Remote slots", has the events and their schemas.
//
// What a proxy does when its component went while a call was out: a queue takes the task
// as if it had queued it (the pipeline puts every ready task back when the slot is filled
// again), and hands out none; anything else fails with component_gone, as a plugin's throw.
// Calls the pipeline does not expect to fail (forget, register_provider, remove,
// find_provider, ...) log the failure and answer "nothing" rather than throw it.

#include "hub/component_link.hpp"

#include <gleitzeit/plugin.hpp>

#include <memory>

namespace gleitzeit::hub {

/// The proxy of the component behind `link`, for the slot `kind` (not provider).
std::shared_ptr<plugin> remote_slot(slot_kind kind, std::shared_ptr<const component_link> link);

} // namespace gleitzeit::hub
