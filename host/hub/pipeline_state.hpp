#pragma once
// The inside of the pipeline (pipeline.hpp): a thin orchestrator over parts that own their
// data, and the trips to the slots that connect them.
//
// Concurrency rule (docs/architecture.md): everything here lives on the pipeline's one
// strand. A call into a slot goes through that slot's strand (slots.hpp) and comes back here
// with on_strand(); nothing of this struct is touched from a slot's strand.
//
// The parts:
//   workflow_book     the workflows, their tasks, counts, status, the finished ones kept;
//   save_batcher      what waits to be saved, and what waits for it to be durable;
//   dispatcher        the providers, their credits and load, and the choice of provider;
//   batcher<>         one trip at a time to a slot, carrying what gathered meanwhile.
// The steps, by stage:
//   pipeline.cpp           the requests: status, cancel, providers coming and going;
//   pipeline_submit.cpp    submit, as a chain of named steps;
//   pipeline_dispatch.cpp  enqueue, dispatch rounds, start a call, registration of providers;
//   pipeline_retry.cpp     timeouts, retries after their backoff, waits for a provider, requeues;
//   pipeline_progress.cpp  results, release of dependents, workflow end, progress events;
//   pipeline_persist.cpp   the trip to the persistence slot;
//   pipeline_recovery.cpp  taking up the unfinished workflows after a restart;
//   pipeline_archive.cpp   query_status of a workflow this run does not hold;
//   pipeline_slots.cpp     what a slot that was empty gets when it is filled;
//   pipeline_reacquaint.cpp a new resolver told a running workflow it does not know;
//   pipeline_watch.cpp     watch_workflow: replaying the event log, then joining the room;
//   pipeline_drain.cpp     the stop: no new work, the calls in flight finish.
// Internal to host/hub.

#include "hub/batcher.hpp"
#include "hub/clock.hpp"
#include "hub/dispatcher.hpp"
#include "hub/pipeline.hpp"
#include "hub/save_batcher.hpp"
#include "hub/slots.hpp"
#include "hub/task_ids.hpp"
#include "hub/workflow_book.hpp"

#include <gleitzeit/persistence.hpp>
#include <gleitzeit/resolver.hpp>
#include <gleitzeit/types.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gleitzeit::hub {

struct pipeline::state : std::enable_shared_from_this<state> {
    state(boost::asio::io_context& ioc, slots& sl, class clock& c, emit_fn e, std::size_t keep,
          std::size_t max_result_bytes, std::size_t keep_tasks)
        : strand(boost::asio::make_strand(ioc)), slot(sl), time(c), emit(std::move(e)),
          max_result(max_result_bytes), book(keep, keep_tasks) {}

    template <class Fn> void on_strand(Fn fn) {
        boost::asio::post(strand,
                          [self = shared_from_this(), fn = std::move(fn)]() mutable { fn(*self); });
    }
    /// Runs `fn` on the strand after `delay`, unless the alarm returned is destroyed first
    /// (which happens on the strand too, so a cancelled alarm never runs `fn`).
    std::unique_ptr<alarm> arm(std::chrono::milliseconds delay, std::function<void(state&)> fn);

    static std::string room(const std::string& workflow_id) { return "workflow:" + workflow_id; }
    /// The room of a submitter that follows only the workflow_* events (watch: "end").
    static std::string end_room(const std::string& workflow_id) {
        return "workflow-end:" + workflow_id;
    }

    // pipeline_submit.cpp
    struct submission;
    void check_calls(std::shared_ptr<submission> sub);
    void analyze(std::shared_ptr<submission> sub);
    void keep_analyzed(std::shared_ptr<submission> sub, workflow_analysis a);
    void start_workflow(const std::string& id, const std::vector<std::string>& ready_ids);

    // pipeline_persist.cpp: every save also starts a trip if none is under way.
    using saved_fn = std::function<void(state&)>;
    void save(workflow w);
    void save(task_entry& e);
    /// Its place in the batch (save_batcher::take_saved).
    std::size_t save(const std::string& workflow_id, task_result r);
    /// Runs `fn` on the strand once everything saved so far is durable.
    void after_saved(saved_fn fn);
    /// Replies `out`, read from the book now, once what it shows is durable: the book has a
    /// result or an end as soon as it is known, and a crash before its save would undo what
    /// the reply told. While saves fail (a full disk), `unavailable` instead.
    void reply_durable(boost::json::object out, std::function<void(boost::json::object)> reply);
    void flush_saves();
    /// Writes `trip`; once durable, what waits for it runs. A failure writes it again.
    void write_trip(std::shared_ptr<save_batcher::trip> trip);
    void save_failed(std::shared_ptr<save_batcher::trip> trip, const std::string& error);
    // Saves failing in a row (a full disk): submissions are refused with `unavailable`
    // meanwhile, and the batch is written again after a backoff.
    std::size_t save_failures = 0;
    std::string save_error;
    std::int64_t save_error_logged_ms = 0;
    std::unique_ptr<alarm> save_retry;

    // pipeline_recovery.cpp
    void recover(std::function<void(const std::string& summary)> done);
    // pipeline_reacquaint.cpp
    /// The resolver refused a result of running workflow `wf_id` as unknown (it filled the
    /// slot after the workflow started): it is told the workflow and its results, and what
    /// that releases is queued.
    void reacquaint(const std::string& wf_id);

    /// A persistence slot has been read for recovery (at start, or once a remote persistence
    /// component filled the slot later).
    bool recovered_from_store = false;
    /// Keeps a recovered workflow and puts back in the queue what should run; how many.
    /// `last_seq`: the workflow's last logged event number, where its numbering goes on.
    std::size_t take_up(workflow w, std::map<std::string, task_result> results,
                        const task_release& released, std::int64_t last_seq,
                        std::size_t& waiting);

    // pipeline_archive.cpp
    /// query_status's reply for a workflow not in the book, from the persistence slot: the
    /// workflow, or its task `task_id` when one is given.
    void status_from_archive(const std::string& id, const std::optional<std::string>& task_id,
                             std::function<void(boost::json::object)> reply);

    // pipeline_dispatch.cpp
    void enqueue(std::vector<task> tasks);
    /// Set when the queue slot was filled anew, until its ready tasks are put back. That
    /// waits for the dispatch round under way: a task it is taking out must not go back in
    /// as a second, stale copy (pipeline_slots.cpp).
    bool refill_queue = false;
    void put_back_ready();
    void flush_enqueue();
    /// One round: takes from the queue as many tasks as providers have free credits, has
    /// the registry slot choose each one's provider, and starts them.
    void dispatch();
    void run_chosen(std::vector<task> got, std::vector<std::string> chosen);
    void start(const std::string& provider_name, task t);
    /// Reads what the provider plugins serve, registers it with the registry slot (if one
    /// is loaded), and then runs `then` on the strand.
    void refresh_providers(std::function<void(state&)> then);
    void register_with_registry(const std::string& name, std::vector<protocol_spec> specs,
                                std::size_t max_concurrency, std::function<void(state&)> then);

    // pipeline_retry.cpp
    void wait_for_provider(task_entry& e);
    void retry(task_entry& e, const task_error& why);
    /// Enqueues a retry_pending task at its due_ms.
    void wait_for_retry(task_entry& e);
    /// Puts the tasks executing on `provider_name` back in the queue; how many there were.
    std::size_t requeue_from(const std::string& provider_name);
    /// Puts a task that was executing back in the queue without counting the attempt.
    void requeue(task_entry& e);

    // pipeline_progress.cpp
    void result(const std::string& provider_name, const std::string& wf_id, unsigned attempt,
                task_result r);
    void finish_task(const std::string& wf_id, const std::string& id, task_result r);
    /// Hands a durable result to the resolver, which releases or skips the dependents.
    void release(const std::string& wf_id, task_result r);
    void flush_release();
    void released(const std::string& wf_id, task_release rel, const std::string& why);
    /// What a release does to the book: skips, fails unresolved dependents, queues the ready
    /// ones (params bounded by max_result), and ends the workflow when nothing is open.
    void apply_release(workflow_entry& wf, task_release rel);
    void end_workflow(workflow_entry& wf, workflow_state how, const std::string& why);
    /// The end event's `results`, or `results_omitted` when together they pass max_result.
    void end_results(const workflow_entry& wf, boost::json::object& payload) const;
    /// Fails the workflow when its deadline_ms passes (none without a timeout).
    void arm_deadline(workflow_entry& wf);
    void keep(const std::string& workflow_id);
    void cancel_task(task_entry& e, const std::string& reason);
    /// Sends a progress event to the workflow's room and to `observers` ("workflows" or
    /// "tasks"), with the routing fields, once it is durable in the event log.
    void tell(workflow_entry& wf, std::string_view event, boost::json::object payload,
              const char* observers, std::string_view source = "hub");

    // pipeline_watch.cpp
    struct watcher;
    /// One round of watch_workflow: once everything told is durable, replays what the
    /// watcher has not seen, until it has seen every event; then it joins the room.
    void watch_round(std::shared_ptr<watcher> w);
    /// A page of the log read for `w`: sends it, and rounds again or ends the watch.
    void watch_page(std::shared_ptr<watcher> w, std::vector<boost::json::object> page,
                    const std::string& error, bool known, bool history, std::size_t want);

    // pipeline_drain.cpp
    struct stopping {
        std::int64_t until_ms = 0;
        std::function<void(std::size_t cut)> done;
        std::unique_ptr<alarm> tick;
    };
    /// Set once the hub drains: nothing is submitted or started any more.
    std::optional<stopping> draining;
    void check_drained();

    boost::asio::strand<boost::asio::io_context::executor_type> strand;
    slots& slot;
    class clock& time;
    emit_fn emit;
    /// pipeline's max_result; constant, so a provider's thread may read it.
    const std::size_t max_result;

    workflow_book book;
    save_batcher saves;
    dispatcher providers;
    // Durable results for the resolver (an empty task id: forget the workflow, which ended);
    // ready tasks for the queue.
    batcher<std::vector<std::pair<std::string, task_result>>> releases;
    batcher<std::vector<task>> enqueues;
    bool persistence_missing_told = false;
};

} // namespace gleitzeit::hub
