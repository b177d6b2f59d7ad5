#pragma once
// The workflow pipeline (docs/architecture.md, "The pipeline"):
//   submit -> analyze (resolver) -> enqueue (queue) -> dispatch by provider credits
//   -> execute with a timeout -> release dependents -> workflow completion,
// with retries and their backoff, and progress broadcast to room "workflow:<id>".
//
// The slots are reached through hub::slots (slots.hpp), plugins and remote components alike;
// providers are provider plugins or remote components (provider_link.hpp). Persistence and
// recovery build on it. pipeline_state.hpp has the inside.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <gleitzeit/plugin.hpp>
#include <gleitzeit/types.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace gleitzeit::hub {

class provider_link;
class slots;
class clock;

class pipeline {
public:
    using reply_fn = std::function<void(boost::json::object)>;
    /// Sends `event` with `payload` once to everyone in any of `rooms`.
    using emit_fn = std::function<void(const std::vector<std::string>& rooms,
                                       std::string_view event, boost::json::object)>;

    /// `keep_finished`: how many finished workflows query_status still shows ([state]
    /// keep_finished); the hub forgets older ones, which stay in the persistence slot.
    /// `max_result`: the most bytes of JSON a task's result may have, since the events carry it
    /// to every client ([server] max_payload); a larger one fails its task, not retryable, and
    /// is never sent. 0: no bound. `keep_finished_tasks`: the most tasks those finished
    /// workflows may hold together ([state] keep_finished_tasks). `slots` and `clock` outlive
    /// the pipeline.
    pipeline(boost::asio::io_context& ioc, slots& slots, clock& clock, emit_fn emit,
             std::size_t keep_finished = 1000, std::size_t max_result = 0,
             std::size_t keep_finished_tasks = 20000);
    ~pipeline();
    pipeline(const pipeline&) = delete;
    pipeline& operator=(const pipeline&) = delete;

    /// submit_workflow {workflow}: replies {ok, workflow_id} once the workflow is accepted,
    /// or {ok: false, error} with nothing of it kept. `join` gets the workflow's room before
    /// its first event, so that the submitter sees every one.
    void submit(const boost::json::value& payload, std::function<void(const std::string&)> join,
                reply_fn reply);
    /// query_status {workflow_id}: the workflow's state, and each task's state, attempt and
    /// result or error. Without workflow_id: {ok, workflows: [{id, name, state, tasks, open}]}.
    void status(const boost::json::value& payload, reply_fn reply);
    /// cancel_workflow {workflow_id}: cancels its pending tasks and the running ones.
    void cancel(const boost::json::value& payload, reply_fn reply);
    /// watch_workflow {workflow_id, since?}: `send` gets, in order, every logged progress
    /// event of the workflow with a seq over `since`; then `join` gets its room, and the reply
    /// says how many were replayed (docs/events.md, "Following a workflow").
    using send_fn = std::function<void(std::string_view event, boost::json::object payload)>;
    void watch(const boost::json::value& payload, std::function<void(const std::string&)> join,
               send_fn send, reply_fn reply);

    /// A remote provider registered: its protocols go to the registry slot and it gets work
    /// from now on. `done` runs once it does.
    void add_provider(std::string name, std::vector<protocol_spec> protocols,
                      std::size_t max_concurrency, std::shared_ptr<provider_link> link,
                      std::function<void()> done);
    /// A remote provider went: its calls in flight go back to the queue, to run on another
    /// provider. `done` gets how many there were.
    void remove_provider(std::string name, std::function<void(std::size_t requeued)> done);
    /// Takes up the unfinished workflows the persistence slot holds (after a restart), before
    /// anything is submitted. `done` gets a one-line summary for the log.
    void recover(std::function<void(const std::string& summary)> done);
    /// task_progress of a call that runs at `provider`: {task_id (as the provider got it),
    /// ...}. While that task executes there, the payload goes to the workflow's room and room
    /// "tasks" with workflow_id, the workflow's own task_id and the routing fields; it is
    /// neither saved nor logged (docs/events.md, "Progress"). Anything else is dropped.
    void progress(const std::string& provider, boost::json::object payload);
    /// A provider's protocols or concurrency changed (an MCP server's tools, an LLM endpoint
    /// going down): the registry learns them all again, and dispatch goes on.
    void providers_changed();
    /// Every provider, in-process and remote: [{name, local, protocols, max_concurrency,
    /// in_flight}].
    void providers(std::function<void(boost::json::array)> done);
    /// A slot that was empty got an instance (a plugin loaded, a component registered), which knows
    /// nothing yet: a queue gets every ready task back, a registry the in-process providers
    /// (remote ones: components::slot_filled). pipeline_slots.cpp.
    void slot_filled(slot_kind kind);
    /// The hub is stopping (SIGTERM; docs/operations.md, "Stopping"): submissions are refused
    /// with `unavailable` and no task starts from now on; the calls in flight may finish for
    /// up to `timeout`. `done` runs once they have and every result is durable, or at the
    /// timeout, with how many calls were still running (they run again after the restart).
    /// pipeline_drain.cpp.
    void drain(std::chrono::milliseconds timeout, std::function<void(std::size_t cut)> done);

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace gleitzeit::hub
