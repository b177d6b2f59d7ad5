#pragma once
// The hub's slot seam (hub/slots.hpp, hub/slot_control.hpp) over the plugin host: the one
// place that knows both host/hub and host/plugins, and the only dynamic_cast from a slot's
// plugin to its interface (docs/architecture.md, "The slot seam").

#include "hub/slot_control.hpp"
#include "hub/slots.hpp"

namespace gleitzeit::plugins {
class plugin_host;
}

namespace gleitzeit::daemon {

class plugin_slots : public hub::slots, public hub::slot_control {
public:
    explicit plugin_slots(plugins::plugin_host& host) : host_(host) {}

    // hub::slots
    workflow_archive* archive_of(persistence& store) override;
    std::vector<std::string> providers() const override;
    void with_provider(const std::string& name, hub::slot_fn<provider> fn) override;
    std::shared_ptr<hub::provider_link> link(const std::string& name) override;
    void visit(hub::slot_fn<queue> fn) override;
    void visit(hub::slot_fn<resolver> fn) override;
    void visit(hub::slot_fn<registry> fn) override;
    void visit(hub::slot_fn<persistence> fn) override;

    // hub::slot_control
    boost::json::array describe() const override;
    void swap(slot_kind kind, const std::string& file, done_fn done) override;
    std::vector<std::string> providers_from(const std::string& file) const override;
    void fill_remote(slot_kind kind, std::shared_ptr<plugin> instance, std::string component_id,
                     std::string version, done_fn done) override;
    void vacate_remote(slot_kind kind, std::string component_id, done_fn done) override;

private:
    plugins::plugin_host& host_;
};

} // namespace gleitzeit::daemon
