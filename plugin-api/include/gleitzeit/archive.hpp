#pragma once
// Finished workflows, looked up by id. The hub keeps only the workflows of its own run in
// memory, and of those only the newest [state] keep_finished once finished; a persistence
// plugin that also derives from workflow_archive lets query_status answer for the others
// (a workflow that finished before a restart or an upgrade, say) from what it saved.
// Optional, like state_handoff: the host finds it by dynamic_cast, so the persistence
// interface and plugin_api_version stay as they are.

#include "gleitzeit/types.hpp"

#include <optional>
#include <string>

namespace gleitzeit {

class workflow_archive {
public:
    virtual ~workflow_archive();

    /// The workflow as last saved, its state included, with its tasks in their saved state
    /// and attempt; nullopt if nothing was saved under `id`. Called on the blocking pool,
    /// like the rest of the persistence slot.
    virtual std::optional<workflow> load_workflow(const std::string& id) = 0;
};

} // namespace gleitzeit
