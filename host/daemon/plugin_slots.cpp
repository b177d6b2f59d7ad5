#include "daemon/plugin_slots.hpp"

#include "hub/provider_link.hpp"
#include "plugins/plugin_host.hpp"

#include <gleitzeit/archive.hpp>
#include <gleitzeit/persistence.hpp>
#include <gleitzeit/queue.hpp>
#include <gleitzeit/registry.hpp>
#include <gleitzeit/resolver.hpp>

namespace gleitzeit::daemon {

namespace {

template <class Slot>
void visit_as(plugins::plugin_host& host, slot_kind kind, hub::slot_fn<Slot> fn) {
    host.with_slot(kind, [fn = std::move(fn)](plugin* p) { fn(dynamic_cast<Slot*>(p)); });
}

/// A provider plugin as the pipeline calls it: through the plugin host, so that a swap of the
/// plugin drains the calls in flight on the old generation (host/plugins/slot.hpp).
class plugin_provider_link : public hub::provider_link {
public:
    plugin_provider_link(plugins::plugin_host& host, std::string name)
        : host_(host), name_(std::move(name)) {}

    void execute(hub::provider_call c, std::function<void(task_result)> done) override {
        host_.execute(name_, std::move(c.call), std::move(done));
    }

    void cancel(const std::string& task_id, const std::string&) override {
        host_.with_provider(name_, [task_id](provider* p) {
            if (p)
                p->cancel(task_id);
        });
    }

private:
    plugins::plugin_host& host_;
    std::string name_;
};

} // namespace

workflow_archive* plugin_slots::archive_of(persistence& store) {
    // Optional, like state_handoff: a second base class of the persistence plugin.
    return dynamic_cast<workflow_archive*>(&store);
}

std::vector<std::string> plugin_slots::providers() const {
    return host_.providers();
}

void plugin_slots::with_provider(const std::string& name, hub::slot_fn<provider> fn) {
    host_.with_provider(name, std::move(fn));
}

std::shared_ptr<hub::provider_link> plugin_slots::link(const std::string& name) {
    return std::make_shared<plugin_provider_link>(host_, name);
}

void plugin_slots::visit(hub::slot_fn<queue> fn) {
    visit_as(host_, slot_kind::queue, std::move(fn));
}
void plugin_slots::visit(hub::slot_fn<resolver> fn) {
    visit_as(host_, slot_kind::resolver, std::move(fn));
}
void plugin_slots::visit(hub::slot_fn<registry> fn) {
    visit_as(host_, slot_kind::registry, std::move(fn));
}
void plugin_slots::visit(hub::slot_fn<persistence> fn) {
    visit_as(host_, slot_kind::persistence, std::move(fn));
}

boost::json::array plugin_slots::describe() const {
    return host_.describe();
}

void plugin_slots::swap(slot_kind kind, const std::string& file, done_fn done) {
    host_.swap_file(kind, file, std::move(done));
}

std::vector<std::string> plugin_slots::providers_from(const std::string& file) const {
    return host_.providers_from(file);
}

void plugin_slots::fill_remote(slot_kind kind, std::shared_ptr<plugin> instance,
                               std::string component_id, std::string version, done_fn done) {
    host_.fill_remote(kind, std::move(instance), std::move(component_id), std::move(version),
                      std::move(done));
}

void plugin_slots::vacate_remote(slot_kind kind, std::string component_id, done_fn done) {
    host_.vacate_remote(kind, std::move(component_id), std::move(done));
}

} // namespace gleitzeit::daemon
