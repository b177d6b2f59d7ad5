// provider_link for a provider plugin: calls go through the plugin host, so a swap of the
// plugin drains calls in flight on the old generation (host/plugins/slot.hpp).

#include "hub/provider_link.hpp"

#include "plugins/plugin_host.hpp"

namespace gleitzeit::hub {

namespace {

class local_link : public provider_link {
public:
    local_link(plugins::plugin_host& plugins, std::string name)
        : plugins_(plugins), name_(std::move(name)) {}

    void execute(provider_call c, std::function<void(task_result)> done) override {
        plugins_.execute(name_, std::move(c.call), std::move(done));
    }

    void cancel(const std::string& task_id, const std::string&) override {
        plugins_.with_provider(name_, [task_id](provider* p) {
            if (p)
                p->cancel(task_id);
        });
    }

private:
    plugins::plugin_host& plugins_;
    std::string name_;
};

} // namespace

std::shared_ptr<provider_link> local_provider(plugins::plugin_host& plugins, std::string name) {
    return std::make_shared<local_link>(plugins, std::move(name));
}

} // namespace gleitzeit::hub
