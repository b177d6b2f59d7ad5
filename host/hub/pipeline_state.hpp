#pragma once
// The pipeline's state and steps (pipeline.hpp). It all lives on one strand; every call into
// a slot goes through that slot's strand and comes back here. The steps are split by stage:
//   pipeline.cpp           the requests: submit, status, cancel, and providers coming and going;
//   pipeline_choice.cpp    dispatch: ready tasks for free provider credits, the registry's choice;
//   pipeline_dispatch.cpp  enqueue, execute, timeouts, retries, tasks waiting for a provider;
//   pipeline_progress.cpp  results, release of dependents, workflow completion, progress events;
//   pipeline_persist.cpp   saving to the persistence slot, in grouped transactions;
//   pipeline_recovery.cpp  taking up the unfinished workflows after a restart (DESIGN §9);
//   pipeline_archive.cpp   query_status of a workflow this run does not hold, from the store.
// Internal to host/hub.

#include "hub/clock.hpp"
#include "hub/pipeline.hpp"
#include "hub/provider_link.hpp"
#include "hub/slots.hpp"

#include <gleitzeit/persistence.hpp>
#include <gleitzeit/resolver.hpp>
#include <gleitzeit/types.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gleitzeit::hub {

/// What the registry slot made of providers' protocols.
struct registration_result {
    std::set<std::string> registered; // protocols it took: their calls are checked
    std::vector<std::string> refused;  // why it refused the others, for the log
};

struct pipeline::state : std::enable_shared_from_this<state> {
    struct task_entry {
        task t;
        std::optional<boost::json::value> result;
        std::optional<task_error> error;
        std::string provider;
        // Executing: the timeout. Retry pending: the backoff. Ready with no provider for its
        // protocol: how long it may wait for one.
        std::unique_ptr<alarm> timer;
        bool unsaved = false; // changed since the last batch was gathered (in `dirty`)
    };
    struct workflow_entry {
        workflow w; // without its tasks: they live in `tasks`
        std::string correlation_id;
        std::map<std::string, task_entry> tasks;
        // Kept by settle(), so that "is it over?" does not walk every task on every result.
        std::size_t open = 0;   // tasks not completed, failed, skipped or cancelled
        std::size_t failed = 0; // tasks failed
    };
    struct provider_entry {
        std::vector<std::string> protocols;
        std::size_t max_concurrency = 0;
        std::size_t in_flight = 0; // calls sent, not answered yet
        std::shared_ptr<provider_link> link;
        bool remote = false;
    };

    state(boost::asio::io_context& ioc, slots& sl, class clock& c, emit_fn e)
        : strand(boost::asio::make_strand(ioc)), slot(sl), time(c), emit(std::move(e)) {}

    template <class Fn> void on_strand(Fn fn) {
        boost::asio::post(strand,
                          [self = shared_from_this(), fn = std::move(fn)]() mutable { fn(*self); });
    }

    /// Runs `fn` on the strand after `delay`, unless the alarm returned is destroyed first
    /// (which happens on the strand too, so a cancelled alarm never runs `fn`).
    std::unique_ptr<alarm> arm(std::chrono::milliseconds delay, std::function<void(state&)> fn);

    static std::string room(const std::string& workflow_id) { return "workflow:" + workflow_id; }

    // pipeline.cpp
    /// Keeps and saves an analyzed workflow; `accepted` gets "" once it is durable (and
    /// before its first event), or why it could not be saved, and then nothing of it is kept.
    void analyzed(workflow w, std::string correlation_id, workflow_analysis a,
                  std::function<void(const std::string& error)> accepted);

    // pipeline_persist.cpp. Changes gather in one batch while the previous one is being
    // written: a state change is durable before anyone is told of it, and a busy hub writes
    // many changes per transaction (DESIGN §9).
    using saved_fn = std::function<void(state&, const std::string& error)>;
    void save(workflow w);
    /// Marks the task changed: the batch being gathered takes its state as it is then, so a
    /// task that changes twice meanwhile is written once.
    void save(task_entry& e);
    void save(const std::string& workflow_id, task_result r);
    /// Runs `fn` on the strand once everything saved so far is durable.
    void after_saved(saved_fn fn);
    void flush();

    // pipeline_recovery.cpp
    void recover(std::function<void(const std::string& summary)> done);
    /// Keeps a recovered workflow and puts back in the queue what should run; how many.
    std::size_t take_up(workflow w, std::map<std::string, task_result> results,
                        const task_release& released, std::size_t& waiting);

    // pipeline_archive.cpp
    /// query_status's reply for a workflow not in `workflows`, from the persistence slot.
    void status_from_archive(const std::string& id, std::function<void(boost::json::object)> reply);

    // pipeline_dispatch.cpp
    void enqueue(std::vector<task> tasks);
    void flush_enqueue();
    /// Reads what the provider plugins serve, registers it with the registry slot (if one
    /// is loaded), and then runs `then` on the strand.
    void refresh_providers(std::function<void(state&)> then);
    void register_with_registry(const std::string& name, std::vector<protocol_spec> specs,
                                std::size_t max_concurrency, std::function<void(state&)> then);
    /// Notes what the registry took, and logs each refusal once.
    void took(const registration_result& r);
    /// True when the registry knows a protocol of the same name ("echo" of "echo/v9").
    bool family_known(const std::string& protocol) const;
    bool served(const std::string& protocol) const;

    // pipeline_choice.cpp
    /// One round: takes from the queue as many tasks as providers have free credits, has
    /// the registry slot choose each one's provider (find_provider: least loaded, then
    /// round-robin), and starts them.
    void dispatch();
    /// The provider for `t` when the registry chose none that can take it (no registry slot,
    /// or its view of the load is behind): the least loaded with a free credit, or null.
    const std::string* fallback_provider(const task& t) const;
    /// A call on `provider_name` ended: a credit is free again, and the registry hears of it.
    void call_ended(const std::string& provider_name);

    // pipeline_dispatch.cpp
    void start(const std::string& provider_name, task t);
    void wait_for_provider(task_entry& e);
    void retry(task_entry& e, const task_error& why);
    /// Enqueues a retry_pending task at its due_ms.
    void wait_for_retry(task_entry& e);
    /// Puts the tasks executing on `provider_name` back in the queue; how many there were.
    std::size_t requeue_from(const std::string& provider_name);

    // pipeline_progress.cpp
    void result(const std::string& provider_name, const std::string& wf_id, unsigned attempt,
                task_result r);
    void finish_task(const std::string& wf_id, const std::string& id, task_result r);
    /// Hands a durable result to the resolver, which releases or skips the dependents.
    void release(const std::string& wf_id, task_result r);
    void released(const std::string& wf_id, task_release rel, const std::string& why);
    void end_workflow(workflow_entry& wf, workflow_state how, const std::string& why);
    /// A finished workflow's last change is durable: it joins the finished ones kept for
    /// query_status, and the oldest beyond keep_finished is forgotten.
    void keep(const std::string& workflow_id);
    void cancel_task(task_entry& e, const std::string& reason);
    /// Sends a progress event to the workflow's room and to `observers` ("workflows" or
    /// "tasks"), with the routing fields.
    void tell(const workflow_entry& wf, std::string_view event, boost::json::object payload,
              const char* observers, std::string_view source = "hub");
    task_entry* find_task(const std::string& wf, const std::string& id);
    /// Sets a task's state, keeping its workflow's counts.
    static void settle(workflow_entry& wf, task_entry& e, task_state s);
    /// Counts a workflow's open and failed tasks afresh (after a submit or a recovery).
    static void count(workflow_entry& wf);

    boost::asio::strand<boost::asio::io_context::executor_type> strand;
    slots& slot;
    class clock& time;
    emit_fn emit;
    std::map<std::string, workflow_entry> workflows;
    std::deque<std::string> finished; // ids of the finished workflows kept, oldest first
    std::size_t keep_finished = 1000;
    std::map<std::string, provider_entry> providers;
    std::set<std::string> checked_protocols; // what the registry took from the providers
    std::set<std::string> reported;          // refusals already logged
    bool dispatching = false;
    bool dispatch_again = false;
    // Load changes the registry has not heard of yet (calls ended, choices overruled); they
    // go with the next round's trip to it, not one trip per call.
    std::map<std::string, int> load_changes;
    persistence::batch unsaved;         // changes not yet handed to the persistence slot
    std::vector<task_entry*> dirty;     // tasks changed since; entries outlive their saving
    std::vector<saved_fn> unsaved_then; // what waits for them
    bool saving = false;                // a batch is being written
    bool persistence_missing_told = false;
    std::vector<std::pair<std::string, task_result>> to_release; // durable, for the resolver
    bool releasing = false;             // a batch is with the resolver
    std::vector<task> to_enqueue;       // ready, for the queue
    bool enqueuing = false;             // a batch is with the queue
};

/// The id by which the queue, the persistence slot and the providers know a task. A
/// workflow names its tasks as it likes ("a", "fetch"), so two workflows may both have an
/// "a"; the workflow id in front makes the id unique, and the task's workflow_id says where
/// to cut it again.
inline std::string qualified(const std::string& workflow_id, const std::string& task_id) {
    return workflow_id + "/" + task_id;
}
inline task qualified(task t) {
    t.id = qualified(t.workflow_id, t.id);
    return t;
}
/// The workflow's own id of a task the queue or the persistence slot gave back.
inline task unqualified(task t) {
    if (t.id.size() > t.workflow_id.size() && t.id.compare(0, t.workflow_id.size(), t.workflow_id) == 0)
        t.id.erase(0, t.workflow_id.size() + 1);
    return t;
}

bool terminal(task_state s);
/// query_status's entry for one task, and its reply for a workflow (pipeline.cpp).
boost::json::object task_status(const task& t, const std::optional<boost::json::value>& result,
                                const std::optional<task_error>& error);
boost::json::object workflow_status(const std::string& id, const std::string& name,
                                    workflow_state s, boost::json::object tasks);

} // namespace gleitzeit::hub
