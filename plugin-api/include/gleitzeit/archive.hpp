#pragma once
// Finished workflows, looked up by id. The hub keeps only the workflows of its own run in
// memory, and of those only the newest [state] keep_finished once finished; a persistence
// plugin that also derives from workflow_archive lets query_status answer for the others
// (a workflow that finished before a restart or an upgrade, say) from what it saved.
// Optional, like state_handoff: the host finds it by dynamic_cast, so the persistence
// interface and plugin_api_version stay as they are.

#include "gleitzeit/types.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gleitzeit {

class workflow_archive {
public:
    virtual ~workflow_archive();

    /// The workflow as last saved, its state included, with its tasks in their saved state
    /// and attempt; nullopt if nothing was saved under `id`. Called on the blocking pool,
    /// like the rest of the persistence slot.
    virtual std::optional<workflow> load_workflow(const std::string& id) = 0;
};

/// A workflow's progress events as the hub logged them, for `watch_workflow` (docs/events.md,
/// "Following a workflow"): a client that reconnects, or joins late, gets what it missed.
/// Each event the hub logs is an object with "event" (its name), "workflow_id" and "seq",
/// the workflow's own event number: 1, 2, 3, ... in the order the events were sent. Optional
/// like workflow_archive, found by dynamic_cast; called on the blocking pool.
class event_history {
public:
    virtual ~event_history();
    /// The logged events of `workflow_id` whose seq is over `since`, in seq order, at most
    /// `limit` of them.
    virtual std::vector<boost::json::object> load_events(const std::string& workflow_id,
                                                         std::int64_t since, std::size_t limit) = 0;
    /// The highest seq logged for `workflow_id`; 0 when none is.
    virtual std::int64_t last_event_seq(const std::string& workflow_id) = 0;
};

} // namespace gleitzeit
