#pragma once
// The pipeline's state and steps (pipeline.hpp). It all lives on one strand; every call into
// a slot goes through that slot's strand and comes back here. The steps are split by stage:
//   pipeline.cpp           the requests: submit, status, cancel, and providers coming and going;
//   pipeline_dispatch.cpp  enqueue, dispatch by provider credits, execute, timeouts, retries;
//   pipeline_progress.cpp  results, release of dependents, workflow completion, progress events.
// Internal to host/hub.

#include "hub/pipeline.hpp"
#include "hub/provider_link.hpp"

#include <gleitzeit/resolver.hpp>
#include <gleitzeit/types.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gleitzeit::hub {

struct pipeline::state : std::enable_shared_from_this<state> {
    struct task_entry {
        task t;
        std::optional<boost::json::value> result;
        std::optional<task_error> error;
        std::string provider;
        // Executing: the timeout. Retry pending: the backoff. Ready with no provider for its
        // protocol: how long it may wait for one.
        std::unique_ptr<boost::asio::steady_timer> timer;
    };
    struct workflow_entry {
        workflow w; // tasks as submitted; live task state is in `tasks`
        std::string correlation_id;
        std::map<std::string, task_entry> tasks;
    };
    struct provider_entry {
        std::vector<std::string> protocols;
        std::size_t max_concurrency = 0;
        std::size_t in_flight = 0; // calls sent, not answered yet
        std::size_t reserved = 0;  // credits held while the queue is asked for tasks
        std::shared_ptr<provider_link> link;
        bool remote = false;
    };

    state(boost::asio::io_context& ioc, plugins::plugin_host& p, emit_fn e)
        : strand(boost::asio::make_strand(ioc)), plugins(p), emit(std::move(e)) {}

    template <class Fn> void on_strand(Fn fn) {
        boost::asio::post(strand,
                          [self = shared_from_this(), fn = std::move(fn)]() mutable { fn(*self); });
    }

    static std::string room(const std::string& workflow_id) { return "workflow:" + workflow_id; }

    // pipeline.cpp
    void analyzed(workflow w, std::string correlation_id, const workflow_analysis& a);

    // pipeline_dispatch.cpp
    void enqueue(std::vector<task> tasks);
    /// Reads what the provider plugins serve, registers it with the registry slot (if one
    /// is loaded), and then runs `then` on the strand.
    void refresh_providers(std::function<void(state&)> then);
    void register_with_registry(const std::string& name, std::vector<protocol_spec> specs,
                                std::size_t max_concurrency, std::function<void(state&)> then);
    /// True when the registry knows a protocol of the same name ("echo" of "echo/v9").
    bool family_known(const std::string& protocol) const;
    bool served(const std::string& protocol) const;
    void dispatch();
    void start(const std::string& provider_name, task t);
    void wait_for_provider(task_entry& e);
    void retry(task_entry& e, const task_error& why);
    /// Puts the tasks executing on `provider_name` back in the queue; how many there were.
    std::size_t requeue_from(const std::string& provider_name);

    // pipeline_progress.cpp
    void result(const std::string& provider_name, const std::string& wf_id, unsigned attempt,
                task_result r);
    void finish_task(const std::string& wf_id, const std::string& id, task_result r);
    void released(const std::string& wf_id, task_release rel, const std::string& why);
    void end_workflow(workflow_entry& wf, workflow_state how, const std::string& why);
    void cancel_task(task_entry& e, const std::string& reason);
    /// Sends a progress event to the workflow's room and to `observers` ("workflows" or
    /// "tasks"), with the routing fields.
    void tell(const workflow_entry& wf, std::string_view event, boost::json::object payload,
              const char* observers, std::string_view source = "hub");
    task_entry* find_task(const std::string& wf, const std::string& id);

    boost::asio::strand<boost::asio::io_context::executor_type> strand;
    plugins::plugin_host& plugins;
    emit_fn emit;
    std::map<std::string, workflow_entry> workflows;
    std::map<std::string, provider_entry> providers;
    std::set<std::string> checked_protocols; // what the registry took from the providers
    std::set<std::string> reported;          // refusals already logged
    bool dispatching = false;
    bool dispatch_again = false;
};

bool terminal(task_state s);
std::int64_t now_ms();

} // namespace gleitzeit::hub
