#include "hub/workflow_book.hpp"

#include "hub/workflow_status.hpp"


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
    // Without its buffer too: the entry keeps `w` as long as the workflow is held, and
    // 10,000 moved-from tasks are 3 MB.
    std::vector<task>().swap(w.tasks);
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

std::optional<json::object> workflow_book::status(const std::string& id,
                                                  std::size_t max_result) const {
    auto it = workflows_.find(id);
    if (it == workflows_.end())
        return std::nullopt;
    workflow_status out(max_result);
    for (const auto& [tid, e] : it->second.tasks)
        out.add(tid, e.t, e.result, e.error);
    return std::move(out).reply(it->second.w);
}

} // namespace gleitzeit::hub
