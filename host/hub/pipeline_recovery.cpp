// Taking up the unfinished workflows after a restart (DESIGN §9). The persistence slot gives
// each workflow with its tasks as last saved, and the final results. The resolver is given
// the workflow again and then every final result, in the order the tasks were saved, so that
// it knows the values ${...} references take and which dependents are released. Then:
//   completed, failed, skipped  stay as they are;
//   ready, executing            go back to the queue (an executing attempt counts: the crash
//                               interrupted it, and it runs at most once more);
//   retry_pending               waits for its saved due time, then goes back;
//   pending                     goes to the queue if the results released it, else waits.

#include "hub/pipeline_state.hpp"
#include <gleitzeit/persistence.hpp>
#include <gleitzeit/resolver.hpp>

#include <algorithm>
#include <set>

namespace gleitzeit::hub {

namespace {

struct saved_workflow {
    workflow w; // tasks unqualified, as saved
    std::map<std::string, task_result> results;
};

} // namespace

void pipeline::state::recover(std::function<void(const std::string&)> done) {
    slot.with<persistence>([self = shared_from_this(), done = std::move(done)](persistence* store) mutable {
        if (!store)
            return done("no persistence slot: nothing to recover");
        auto found = std::make_shared<std::vector<saved_workflow>>();
        try {
            for (auto& w : store->load_unfinished()) {
                auto& s = found->emplace_back();
                for (auto& t : w.tasks) {
                    if (terminal(t.state))
                        if (auto r = store->load_result(t.id)) {
                            r->task_id = unqualified(t).id;
                            s.results.emplace(r->task_id, std::move(*r));
                        }
                    t = unqualified(std::move(t));
                }
                s.w = std::move(w);
            }
        } catch (const std::exception& e) {
            return done(std::string("cannot read the unfinished workflows: ") + e.what());
        }
        self->slot.with<resolver>([self, found, done](resolver* res) {
            // What the results released, per workflow.
            auto released = std::make_shared<std::map<std::string, task_release>>();
            std::vector<std::string> refused;
            for (auto& s : *found) {
                try {
                    if (!res)
                        throw std::runtime_error("the resolver slot is empty");
                    try {
                        res->forget(s.w.id); // a resolver that kept it from before starts afresh
                    } catch (const gleitzeit::error&) {
                    }
                    auto submitted = s.w;
                    for (auto& t : submitted.tasks) // the resolver reads a workflow as submitted
                        t.state = task_state::pending;
                    auto analysis = res->analyze(submitted);
                    auto& mine = (*released)[s.w.id];
                    // Tasks without dependencies were ready from the start; ready is not
                    // saved, so their rows may still say pending.
                    const std::set<std::string> ready(analysis.ready_tasks.begin(),
                                                      analysis.ready_tasks.end());
                    for (const auto& t : submitted.tasks)
                        if (ready.count(t.id))
                            mine.ready_tasks.push_back(t);
                    for (const auto& t : s.w.tasks)
                        if (auto r = s.results.find(t.id); r != s.results.end()) {
                            auto rel = res->complete(s.w.id, r->second);
                            for (auto& ready : rel.ready_tasks)
                                mine.ready_tasks.push_back(std::move(ready));
                            for (auto& skipped : rel.skipped)
                                mine.skipped.push_back(std::move(skipped));
                        }
                } catch (const std::exception& e) {
                    refused.push_back("workflow " + s.w.id + ": " + e.what());
                }
            }
            self->on_strand([found, released, refused, done](state& st) {
                std::size_t requeued = 0, waiting = 0;
                for (auto& s : *found) {
                    if (!released->count(s.w.id))
                        continue; // the resolver refused it; see the summary
                    requeued += st.take_up(std::move(s.w), std::move(s.results),
                                           (*released)[s.w.id], waiting);
                }
                std::string summary = "recovered " + std::to_string(released->size()) +
                                      " unfinished workflows: " + std::to_string(requeued) +
                                      " tasks back in the queue, " + std::to_string(waiting) +
                                      " retries waiting for their due time";
                for (const auto& why : refused)
                    summary += "; not recovered: " + why;
                done(summary);
            });
        });
    });
}

std::size_t pipeline::state::take_up(workflow w, std::map<std::string, task_result> results,
                                     const task_release& rel, std::size_t& waiting) {
    std::map<std::string, const task*> released;
    for (const auto& t : rel.ready_tasks)
        released[t.id] = &t;
    const auto id = w.id;
    auto& wf = workflows[id];
    wf.correlation_id = id;
    w.state = workflow_state::running;
    for (const auto& t : w.tasks) {
        auto& e = wf.tasks[t.id];
        e.t = t;
        if (auto r = results.find(t.id); r != results.end()) {
            if (r->second.ok())
                e.result = r->second.result;
            else
                e.error = r->second.error;
        }
    }
    w.tasks.clear(); // they live in wf.tasks
    wf.w = std::move(w);
    count(wf);
    std::vector<task> back;
    for (auto& [tid, e] : wf.tasks) {
        auto it = released.find(tid);
        switch (e.t.state) {
        case task_state::executing:
        case task_state::ready:
            if (it != released.end())
                e.t.params = it->second->params;
            e.t.state = task_state::ready;
            back.push_back(e.t);
            break;
        case task_state::pending:
            if (it != released.end()) {
                e.t.params = it->second->params;
                e.t.state = task_state::ready;
                back.push_back(e.t);
            } else if (std::find(rel.skipped.begin(), rel.skipped.end(), tid) !=
                       rel.skipped.end()) {
                settle(wf, e, task_state::skipped); // its dependency failed just before the crash
                save(e);
            }
            break;
        case task_state::retry_pending:
            ++waiting;
            wait_for_retry(e);
            break;
        default:
            break;
        }
    }
    // A crash between the last result and the workflow's own end leaves nothing to run.
    const bool done = wf.open == 0, failed = wf.failed > 0;
    if (failed && wf.w.on_failure == failure_policy::fail_fast) {
        end_workflow(wf, workflow_state::failed, "a task failed (fail_fast)");
        return 0;
    }
    if (done) {
        end_workflow(wf, failed ? workflow_state::failed : workflow_state::completed, "");
        return 0;
    }
    const auto n = back.size();
    enqueue(std::move(back));
    return n;
}

} // namespace gleitzeit::hub
