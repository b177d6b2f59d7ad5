#include "hub/save_batcher.hpp"

#include <stdexcept>
#include <string>

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

std::size_t save_batcher::save(const std::string& workflow_id, task_result r) {
    r.task_id = qualified(workflow_id, r.task_id);
    auto& results = trips_.gathering().batch.results;
    results.push_back(std::move(r));
    return results.size() - 1;
}

std::size_t save_batcher::log(boost::json::object event) {
    auto& events = trips_.gathering().batch.events;
    events.push_back(std::move(event));
    return events.size() - 1;
}

boost::json::object save_batcher::take_logged(std::size_t index) {
    // The trip gathered together with the continuation that asks: same batch, same index.
    if (!told_ || index >= told_->batch.events.size())
        throw std::logic_error("save_batcher: no logged event " + std::to_string(index) +
                               " in the trip whose continuations run");
    return std::move(told_->batch.events[index]);
}

task_result save_batcher::take_saved(std::size_t index) {
    if (!told_ || index >= told_->batch.results.size())
        throw std::logic_error("save_batcher: no saved result " + std::to_string(index) +
                               " in the trip whose continuations run");
    auto r = std::move(told_->batch.results[index]);
    if (auto slash = r.task_id.rfind('/'); slash != std::string::npos) // task ids have none
        r.task_id.erase(0, slash + 1);
    return r;
}

void save_batcher::run_then(trip& t) {
    told_ = &t;
    for (auto& fn : t.then)
        fn();
    told_ = nullptr;
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
