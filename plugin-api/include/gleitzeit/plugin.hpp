#pragma once
// The lifecycle every plugin has (docs/plugins.md, sections 2 and 5):
//   create(config) -> start(host) -> calls -> stop() -> export_state() -> destroy.
// Stateful slots hand their state to the next generation in a hot swap: the host asks the new
// instance which formats it reads (state_formats), asks the old one to export in the first of
// those it can write, and imports the result into the new one. Any throw rolls the swap back.
// A plugin that also derives from state_handoff (handoff.hpp) does this while it serves.

#include "gleitzeit/host.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit {

/// The five slots of the hub (docs/plugins.md, section 3); a plugin fills exactly one.
enum class slot_kind { queue, resolver, registry, persistence, provider };

std::string_view to_string(slot_kind k) noexcept;
/// False for an unknown name.
bool slot_kind_from_string(std::string_view name, slot_kind& out) noexcept;

class plugin {
public:
    virtual ~plugin();

    /// Called once, on the slot strand, before any other call. `h` outlives stop().
    virtual void start(host& h);
    /// Called once, on the slot strand; after it no call but export_state arrives.
    virtual void stop();

    /// The state formats import_state reads, preferred first, e.g. {"queue/2", "queue/1"}.
    /// Empty: the plugin keeps no state worth carrying over.
    virtual std::vector<std::string> state_formats() const;
    /// The state in the first of `accepted` this plugin can write, as
    /// {"format": "<name>/<n>", ...}. Throws gleitzeit::error(state_format) if it can write
    /// none of them.
    virtual boost::json::object export_state(const std::vector<std::string>& accepted);
    /// Takes over `state` from the previous generation. Throws
    /// gleitzeit::error(state_format) for a format it does not read. In a handoff swap
    /// (handoff.hpp) it runs on a host thread, after start() and before any call.
    virtual void import_state(const boost::json::object& state);
};

} // namespace gleitzeit
