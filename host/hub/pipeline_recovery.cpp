// Taking up the unfinished workflows after a restart (docs/architecture.md, "Durability and
// recovery"). The persistence slot gives each workflow with its tasks as last saved, and the final
// results. The resolver is given the workflow again and then every final result, in the order the
// tasks were saved, so that it knows the values ${...} references take and which dependents are
// released. Then:
//   completed, failed, skipped  stay as they are;
//   ready, executing            go back to the queue (an executing attempt counts: the crash
//                               interrupted it, and it runs at most once more);
//   retry_pending               waits for its saved due time, then goes back;
//   pending                     goes to the queue if the results released it, else waits.

#include "hub/pipeline_state.hpp"
#include "hub/resolver_replay.hpp"
#include <gleitzeit/archive.hpp>
#include <gleitzeit/persistence.hpp>
#include <gleitzeit/resolver.hpp>

#include <algorithm>
#include <set>

namespace gleitzeit::hub {

/// Gives the resolver the workflow as submitted and then its results, in the order the tasks
/// were saved; returns what they released. Throws what the resolver throws.
task_release replay(resolver& res, const saved_workflow& s) {
    try {
        res.forget(s.w.id); // a resolver that kept it from before starts afresh
    } catch (const gleitzeit::error&) {
    }
    auto submitted = s.w;
    for (auto& t : submitted.tasks)
        t.state = task_state::pending;
    auto analysis = res.analyze(submitted);
    task_release out;
    // Tasks without dependencies were ready from the start; ready is not saved, so their rows
    // may still say pending.
    const std::set<std::string> ready(analysis.ready_tasks.begin(), analysis.ready_tasks.end());
    for (const auto& t : submitted.tasks)
        if (ready.count(t.id))
            out.ready_tasks.push_back(t);
    for (const auto& t : s.w.tasks)
        if (auto r = s.results.find(t.id); r != s.results.end()) {
            auto rel = res.complete(s.w.id, r->second);
            for (auto& t : rel.ready_tasks)
                out.ready_tasks.push_back(std::move(t));
            for (auto& skipped : rel.skipped)
                out.skipped.push_back(std::move(skipped));
            for (auto& failed : rel.failed)
                out.failed.push_back(std::move(failed));
        }
    return out;
}

namespace {

/// A recovery on its way through the persistence slot, the resolver and the pipeline.
struct recovery {
    std::vector<saved_workflow> found;
    std::map<std::string, task_release> released; // what the results released, per workflow
    std::vector<std::string> refused;
    std::function<void(const std::string& summary)> done;
};

/// The unfinished workflows with the results of their finished tasks. Throws what the
/// persistence slot throws.
std::vector<saved_workflow> read_unfinished(persistence& store) {
    std::vector<saved_workflow> found;
    auto* history = dynamic_cast<event_history*>(&store);
    for (auto& w : store.load_unfinished()) {
        auto& s = found.emplace_back();
        if (history)
            s.last_seq = history->last_event_seq(w.id);
        for (auto& t : w.tasks) {
            if (terminal(t.state))
                if (auto r = store.load_result(t.id)) {
                    r->task_id = unqualified(t).id;
                    s.results.emplace(r->task_id, std::move(*r));
                }
            t = unqualified(std::move(t));
        }
        s.w = std::move(w);
    }
    return found;
}

void replay_all(resolver* res, recovery& r) {
    for (auto& s : r.found) {
        try {
            if (!res)
                throw std::runtime_error("the resolver slot is empty");
            r.released[s.w.id] = replay(*res, s);
        } catch (const std::exception& e) {
            r.refused.push_back("workflow " + s.w.id + ": " + e.what());
        }
    }
}

} // namespace

// Step 1 on the persistence slot, step 2 on the resolver slot, step 3 here.
void pipeline::state::recover(std::function<void(const std::string&)> done) {
    auto r = std::make_shared<recovery>();
    r->done = std::move(done);
    slot.with<persistence>([self = shared_from_this(), r](persistence* store) {
        if (!store)
            return r->done("no persistence slot: nothing to recover");
        try {
            r->found = read_unfinished(*store);
        } catch (const std::exception& e) {
            return r->done(std::string("cannot read the unfinished workflows: ") + e.what());
        }
        self->slot.with<resolver>([self, r](resolver* res) {
            replay_all(res, *r);
            self->on_strand([r](state& st) {
                st.recovered_from_store = true;
                std::size_t requeued = 0, waiting = 0;
                for (auto& s : r->found)
                    if (st.book.find(s.w.id))
                        continue; // held already: a recovery after a slot was filled late
                    else if (auto it = r->released.find(s.w.id); it != r->released.end())
                        requeued += st.take_up(std::move(s.w), std::move(s.results), it->second,
                                               s.last_seq, waiting);
                std::string summary = "recovered " + std::to_string(r->released.size()) +
                                      " unfinished workflows: " + std::to_string(requeued) +
                                      " tasks back in the queue, " + std::to_string(waiting) +
                                      " retries waiting for their due time";
                for (const auto& why : r->refused)
                    summary += "; not recovered: " + why; // the resolver refused it
                r->done(summary);
            });
        });
    });
}

std::size_t pipeline::state::take_up(workflow w, std::map<std::string, task_result> results,
                                     const task_release& rel, std::int64_t last_seq,
                                     std::size_t& waiting) {
    std::map<std::string, const task*> released;
    for (const auto& t : rel.ready_tasks)
        released[t.id] = &t;
    w.state = workflow_state::running;
    auto correlation = w.id;
    auto& wf = book.add(std::move(w), std::move(correlation));
    wf.event_seq = last_seq;
    arm_deadline(wf); // at once if it passed while the hub was down
    for (auto& [tid, e] : wf.tasks)
        if (auto r = results.find(tid); r != results.end()) {
            if (r->second.ok())
                e.result = r->second.result;
            else
                e.error = r->second.error;
        }
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
                workflow_book::settle(
                    wf, e, task_state::skipped); // its dependency failed just before the crash
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
    // A ${...} that did not resolve, whose failure the crash caught before it was saved.
    for (const auto& r : rel.failed)
        if (auto* e = book.find_task(wf.w.id, r.task_id); e && e->t.state == task_state::pending)
            finish_task(wf.w.id, r.task_id, r);
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
