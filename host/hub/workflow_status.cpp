#include "hub/workflow_status.hpp"

#include "hub/json_size.hpp"

#include <boost/json/value_from.hpp>

namespace gleitzeit::hub {

namespace json = boost::json;

json::object task_status(const task& t, const std::optional<json::value>& result,
                         const std::optional<task_error>& error) {
    json::object out{{"state", to_string(t.state)}, {"attempt", t.attempt}};
    if (!t.metadata.empty())
        out["metadata"] = t.metadata;
    if (result)
        out["result"] = *result;
    if (error)
        out["error"] = json::value_from(*error);
    return out;
}

void workflow_status::add(const std::string& task_id, const task& t,
                          const std::optional<json::value>& result,
                          const std::optional<task_error>& error) {
    // Measured only when bounded: without a bound nothing is left out.
    if (result && !omitted_ && max_result_ != 0 && (size_ += json_size(*result)) > max_result_) {
        omitted_ = true;
        for (auto& [id, entry] : tasks_)
            entry.get_object().erase("result");
    }
    tasks_[task_id] = task_status(t, omitted_ ? std::nullopt : result, error);
}

json::object workflow_status::reply(const workflow& w) && {
    json::object out{{"id", w.id}, {"name", w.name}, {"state", to_string(w.state)}};
    // What the submitter wrote about it, shown as given (docs/events.md, "Workflows").
    if (!w.description.empty())
        out["description"] = w.description;
    if (!w.version.empty())
        out["version"] = w.version;
    if (!w.metadata.empty())
        out["metadata"] = w.metadata;
    if (w.timeout.count() > 0)
        out["timeout_ms"] = w.timeout.count();
    out["tasks"] = std::move(tasks_);
    if (omitted_)
        out["results_omitted"] = "the results together are over [server] max_payload (" +
                                 std::to_string(max_result_) +
                                 " bytes): ask query_status {workflow_id, task_id} for each";
    return {{"ok", true}, {"workflow", std::move(out)}};
}

json::object task_reply(const std::string& workflow_id, const std::string& task_id,
                        json::object entry) {
    return {{"ok", true},
            {"workflow_id", workflow_id},
            {"task_id", task_id},
            {"task", std::move(entry)}};
}

} // namespace gleitzeit::hub
