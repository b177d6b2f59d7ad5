#include "hub/save_batcher.hpp"

namespace gleitzeit::hub {

void save_batcher::save(workflow w) {
    for (auto& t : w.tasks)
        t = qualified(std::move(t));
    trips_.gathering().batch.workflows.push_back(std::move(w));
}

void save_batcher::save(task_entry& e) {
    if (!std::exchange(e.unsaved, true))
        trips_.gathering().dirty.push_back(&e);
}

void save_batcher::save(const std::string& workflow_id, task_result r) {
    r.task_id = qualified(workflow_id, r.task_id);
    trips_.gathering().batch.results.push_back(std::move(r));
}

void save_batcher::log(boost::json::object event) {
    trips_.gathering().batch.events.push_back(std::move(event));
}

void save_batcher::after_saved(saved_fn fn) {
    trips_.gathering().then.push_back(std::move(fn));
}

save_batcher::trip save_batcher::take() {
    auto g = trips_.take();
    for (auto* e : g.dirty) {
        e->unsaved = false;
        g.batch.tasks.push_back(qualified(e->t));
    }
    return {std::move(g.batch), std::move(g.then)};
}

} // namespace gleitzeit::hub
