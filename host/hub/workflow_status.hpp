#pragma once
// query_status's replies (docs/events.md, query_status): a workflow with its tasks, or one
// task. Built the same way for a workflow in the book and one read from the archive.
//
// A workflow's results may together be far larger than one message may be (each is bounded
// by max_result, not their sum): the whole-workflow reply then leaves every result out and
// says so, and each is asked for on its own with {workflow_id, task_id}. A reply that large
// would close the asking connection as a slow consumer.

#include <gleitzeit/types.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace gleitzeit::hub {

/// A task's entry: {state, attempt, metadata?, result?, error?}.
boost::json::object task_status(const task& t, const std::optional<boost::json::value>& result,
                                const std::optional<task_error>& error);

/// The whole-workflow reply, built task by task.
class workflow_status {
public:
    /// `max_result`: the bound on the results together (0: none), as on one result.
    explicit workflow_status(std::size_t max_result) : max_result_(max_result) {}

    void add(const std::string& task_id, const task& t,
             const std::optional<boost::json::value>& result,
             const std::optional<task_error>& error);
    /// {ok, workflow: {id, name, state, ..., tasks, results_omitted?}}.
    boost::json::object reply(const workflow& w) &&;

private:
    std::size_t max_result_;
    std::size_t size_ = 0;
    bool omitted_ = false;
    boost::json::object tasks_;
};

/// The reply to {workflow_id, task_id}: {ok, workflow_id, task_id, task: <entry>}.
boost::json::object task_reply(const std::string& workflow_id, const std::string& task_id,
                               boost::json::object entry);

} // namespace gleitzeit::hub
