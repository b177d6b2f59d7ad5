#pragma once
// The workflow pipeline (DESIGN §5, the execution engine of the seeds):
//   submit -> analyze (resolver) -> enqueue (queue) -> dispatch by provider credits
//   -> execute with a timeout -> release dependents -> workflow completion,
// with retries and their backoff, and progress broadcast to room "workflow:<id>".
//
// This version drives in-process plugins only (the slots of plugin_host and its provider
// plugins). Persistence, remote components and recovery build on it. Its state lives on one
// strand; every call into a slot goes through that slot's strand and comes back here.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}
namespace gleitzeit::plugins {
class plugin_host;
}

namespace gleitzeit::hub {

class pipeline {
public:
    using reply_fn = std::function<void(boost::json::object)>;
    /// Sends `event` with `payload` to everyone in `room`.
    using emit_fn =
        std::function<void(const std::string& room, std::string_view event, boost::json::object)>;

    pipeline(boost::asio::io_context& ioc, plugins::plugin_host& plugins, emit_fn emit);
    ~pipeline();
    pipeline(const pipeline&) = delete;
    pipeline& operator=(const pipeline&) = delete;

    /// submit_workflow {workflow}: replies {ok, workflow_id} once the workflow is accepted,
    /// or {ok: false, error} with nothing of it kept. `join` gets the workflow's room before
    /// its first event, so that the submitter sees every one.
    void submit(const boost::json::value& payload, std::function<void(const std::string&)> join,
                reply_fn reply);
    /// query_status {workflow_id}: the workflow's state, and each task's state, attempt and
    /// result or error.
    void status(const boost::json::value& payload, reply_fn reply);
    /// cancel_workflow {workflow_id}: cancels its pending tasks and the running ones.
    void cancel(const boost::json::value& payload, reply_fn reply);

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace gleitzeit::hub
