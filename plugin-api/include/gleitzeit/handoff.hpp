#pragma once
// A hot swap whose pause does not grow with the state (docs/plugins.md, section 5, "Handoff").
// A stateful plugin that also derives from state_handoff hands its state over while it keeps
// serving:
//
//   1. on the strand, the old generation's begin_handoff(accepted) notes what it holds now
//      (pointers, not copies: the first short pause) and starts a journal of its changes;
//   2. on a host thread, the snapshot function it returned writes that state, and the new
//      generation's import_state reads it, while the old generation serves calls;
//   3. on the strand (the second short pause), finish_handoff() returns the journal, the new
//      generation's import_changes() replays it, and the slot switches.
//
// The host takes this path only when both generations derive from state_handoff; otherwise
// the whole export and import happen in one pause. A failure anywhere rolls back as before:
// the host calls abandon_handoff() and the old generation serves on with its state.

#include <boost/json/object.hpp>

#include <functional>
#include <string>
#include <vector>

namespace gleitzeit {

class state_handoff {
public:
    virtual ~state_handoff();

    /// Writes the state as of begin_handoff, in a format export_state would return. It runs
    /// on a host thread while the plugin serves calls on its strand, so it may read only
    /// what those calls do not change. The host runs it at most once and destroys it before
    /// finish_handoff or abandon_handoff.
    using snapshot_fn = std::function<boost::json::object()>;

    /// Old generation, on the strand: the snapshot in the first of `accepted` it can write,
    /// from here on a journal of changes. Throws error(state_format) like export_state.
    virtual snapshot_fn begin_handoff(const std::vector<std::string>& accepted) = 0;
    /// Old generation, on the strand: the changes since begin_handoff as
    /// {"format": <the snapshot's>, ...}; the journal ends.
    virtual boost::json::object finish_handoff() = 0;
    /// Old generation, on the strand: the swap was rolled back; the journal ends. Also
    /// called after finish_handoff threw, so it must accept a journal already ended.
    virtual void abandon_handoff() noexcept = 0;
    /// New generation, on the strand, after import_state: replays finish_handoff's changes.
    /// A throw rolls the swap back; this generation is then discarded.
    virtual void import_changes(const boost::json::object& changes) = 0;
};

} // namespace gleitzeit
