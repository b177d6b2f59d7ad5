// The out-of-line virtual destructors live here, in libgleitzeit-plugin-api.so, so that the
// host and every plugin share one typeinfo per interface: dynamic_cast from plugin to
// queue works across the library boundary, and unloading a plugin leaves no typeinfo behind.

#include "gleitzeit/archive.hpp"
#include "gleitzeit/handoff.hpp"
#include "gleitzeit/host.hpp"
#include "gleitzeit/persistence.hpp"
#include "gleitzeit/provider.hpp"
#include "gleitzeit/queue.hpp"
#include "gleitzeit/registry.hpp"
#include "gleitzeit/resolver.hpp"

#include <array>
#include <utility>

namespace gleitzeit {

host::~host() = default;
plugin::~plugin() = default;
queue::~queue() = default;
resolver::~resolver() = default;
registry::~registry() = default;
persistence::~persistence() = default;
provider::~provider() = default;
state_handoff::~state_handoff() = default;
workflow_archive::~workflow_archive() = default;
event_history::~event_history() = default;

void plugin::start(host&) {}
void plugin::stop() {}
std::vector<std::string> plugin::state_formats() const { return {}; }

boost::json::object plugin::export_state(const std::vector<std::string>&) {
    return {};
}

void plugin::import_state(const boost::json::object& state) {
    // A stateless plugin accepts only "no state": anything else would be silently lost.
    if (!state.empty())
        throw error(error_code::state_format, "this plugin keeps no state to import");
}

namespace {
constexpr std::array<std::pair<slot_kind, std::string_view>, 5> slot_names{{
    {slot_kind::queue, "queue"},
    {slot_kind::resolver, "resolver"},
    {slot_kind::registry, "registry"},
    {slot_kind::persistence, "persistence"},
    {slot_kind::provider, "provider"},
}};
} // namespace

std::string_view to_string(slot_kind k) noexcept {
    for (const auto& [kind, name] : slot_names)
        if (kind == k)
            return name;
    return "unknown";
}

bool slot_kind_from_string(std::string_view name, slot_kind& out) noexcept {
    for (const auto& [kind, n] : slot_names)
        if (n == name) {
            out = kind;
            return true;
        }
    return false;
}

} // namespace gleitzeit
