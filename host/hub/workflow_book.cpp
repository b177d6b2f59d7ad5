#include "hub/workflow_book.hpp"

#include <boost/json/value_from.hpp>

namespace gleitzeit::hub {

namespace json = boost::json;

bool terminal(task_state s) {
    return s == task_state::completed || s == task_state::failed || s == task_state::skipped ||
           s == task_state::cancelled;
}

workflow_entry& workflow_book::add(workflow w, std::string correlation_id) {
    auto& wf = workflows_[w.id];
    wf.correlation_id = std::move(correlation_id);
    for (auto& t : w.tasks) {
        auto id = t.id;
        wf.tasks[id].t = std::move(t);
    }
    w.tasks.clear();
    wf.w = std::move(w);
    count(wf);
    return wf;
}

void workflow_book::erase(const std::string& id) {
    workflows_.erase(id);
}

workflow_entry* workflow_book::find(const std::string& id) {
    auto it = workflows_.find(id);
    return it == workflows_.end() ? nullptr : &it->second;
}

task_entry* workflow_book::find_task(const std::string& workflow_id, const std::string& task_id) {
    auto* wf = find(workflow_id);
    if (!wf)
        return nullptr;
    auto t = wf->tasks.find(task_id);
    return t == wf->tasks.end() ? nullptr : &t->second;
}

void workflow_book::settle(workflow_entry& wf, task_entry& e, task_state s) {
    if (!terminal(e.t.state) && terminal(s))
        --wf.open;
    if (s == task_state::failed && e.t.state != task_state::failed)
        ++wf.failed;
    e.t.state = s;
}

void workflow_book::count(workflow_entry& wf) {
    wf.open = wf.failed = 0;
    for (const auto& [id, e] : wf.tasks) {
        wf.open += !terminal(e.t.state);
        wf.failed += e.t.state == task_state::failed;
    }
}

std::vector<std::string> workflow_book::keep(const std::string& id) {
    std::vector<std::string> later;
    const auto found = workflows_.find(id);
    const std::size_t tasks = found == workflows_.end() ? 0 : found->second.tasks.size();
    finished_.emplace_back(id, tasks);
    finished_tasks_ += tasks;
    while (!finished_.empty() &&
           (finished_.size() > keep_finished_ || finished_tasks_ > keep_finished_tasks_)) {
        auto it = workflows_.find(finished_.front().first);
        finished_tasks_ -= finished_.front().second;
        finished_.pop_front();
        if (it == workflows_.end())
            continue;
        // A change made after it ended (a cancel of a task that was running) is saved
        // before it goes.
        bool unsaved = false;
        for (const auto& [tid, e] : it->second.tasks)
            unsaved = unsaved || e.unsaved;
        if (unsaved)
            later.push_back(it->first);
        else
            workflows_.erase(it);
    }
    return later;
}

json::array workflow_book::list() const {
    json::array out;
    for (const auto& [id, wf] : workflows_)
        out.push_back(json::object{{"id", id},
                                   {"name", wf.w.name},
                                   {"state", to_string(wf.w.state)},
                                   {"tasks", wf.tasks.size()},
                                   {"open", wf.open}});
    return out;
}

std::optional<json::object> workflow_book::status(const std::string& id) const {
    auto it = workflows_.find(id);
    if (it == workflows_.end())
        return std::nullopt;
    json::object tasks;
    for (const auto& [tid, e] : it->second.tasks)
        tasks[tid] = task_status(e.t, e.result, e.error);
    return workflow_status(it->second.w, std::move(tasks));
}

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

json::object workflow_status(const workflow& w, json::object tasks) {
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
    out["tasks"] = std::move(tasks);
    return {{"ok", true}, {"workflow", std::move(out)}};
}

} // namespace gleitzeit::hub
