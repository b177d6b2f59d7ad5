#pragma once
// What the admin events and the component registry do to the slots themselves, beside the
// calls the pipeline makes through slots.hpp: swap a slot's plugin, describe the slots, and
// let a remote component fill one (docs/architecture.md, "The slot seam"). The daemon's
// adapter over the plugin host implements both interfaces.

#include <gleitzeit/plugin.hpp>

#include <boost/json/array.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gleitzeit::hub {

class slot_control {
public:
    /// Empty on success, else why the operation was refused.
    using done_fn = std::function<void(const std::string& error)>;

    virtual ~slot_control() = default;

    /// The slots and their generations: [{slot, kind, generations: [...]}].
    virtual boost::json::array describe() const = 0;
    /// Hot-swaps the plugin of a stateful slot for `file`, or for `kind` provider adds or
    /// swaps the provider plugin in `file`.
    virtual void swap(slot_kind kind, const std::string& file, done_fn done) = 0;
    /// The providers whose current generation was loaded from `file`.
    virtual std::vector<std::string> providers_from(const std::string& file) const = 0;
    /// Fills an empty stateful slot with `instance`, the in-host proxy of a remote component.
    virtual void fill_remote(slot_kind kind, std::shared_ptr<plugin> instance,
                             std::string component_id, std::string version, done_fn done) = 0;
    /// Empties the slot `component_id` fills, if it still does.
    virtual void vacate_remote(slot_kind kind, std::string component_id, done_fn done) = 0;
};

} // namespace gleitzeit::hub
