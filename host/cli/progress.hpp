#pragma once
// The live view of one workflow while `gleitzeit run` waits for it, fed with the events of
// its room (docs/events.md, "Progress"). On a terminal: one line, redrawn in place, with a
// bar and the count of tasks in each state; failures and retries are printed above it. Into
// a pipe or a file: one plain line per event, so a log reads well and nothing is redrawn.
// A task's task_progress text (an LLM's answer as it is written) is printed a line at a time,
// "<task>: <line>"; on a terminal the line being written shows at the end of the bar.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace gleitzeit::cli {

class progress {
public:
    /// `tasks`: the workflow's task ids; `columns`: the terminal's width, 0 for plain lines.
    /// `verbose`: on a terminal, a line per task event too. An `out` without a buffer (the
    /// --json run's) gets nothing, and the view only keeps count.
    progress(std::ostream& out, std::vector<std::string> tasks, std::size_t columns,
             bool verbose = false);

    /// One event of the workflow's room (its workflow_id already checked).
    void on_event(const std::string& event, const boost::json::object& payload);
    /// Redraws the live line, so that its clock moves between events.
    void tick();
    /// Ends the live line, if there is one.
    void finish();

    bool ended() const { return ended_; }
    /// workflow_completed's (or _failed's, _cancelled's) payload: {state, results, reason?}.
    const boost::json::object& end() const { return end_; }
    boost::json::object take_end() { return std::move(end_); }
    /// A query_status-shaped `workflow` built from the events, for when the hub cannot be
    /// asked any more.
    boost::json::object as_workflow(const std::string& id) const;

private:
    struct task_view {
        std::string state = "pending";
        std::int64_t attempt = 0;
        boost::json::value result;
        boost::json::value error;
        std::string streamed; // task_progress text not printed yet: the line being written
    };

    task_view& task(const boost::json::object& payload);
    /// "completed 2, executing 1, pending 1": the states that have tasks, in their order.
    std::string counts(const char* separator) const;
    void set_state(task_view& t, const std::string& state);
    void on_progress(const boost::json::object& payload);
    /// Prints what is left of a task's streamed text, once the task has ended.
    void flush_stream(const std::string& id);
    void say(const std::string& line); // a line of its own, above the bar on a terminal
    /// Redraws the bar; unless `now`, not more often than ten times a second.
    void draw(bool now);

    std::ostream& out_;
    std::size_t columns_;
    bool verbose_;
    bool silent_;
    std::vector<std::string> order_;
    std::map<std::string, task_view> tasks_;
    std::map<std::string, std::size_t> count_; // tasks per state
    std::size_t finished_ = 0;                  // tasks in a final state
    std::string name_;
    bool ended_ = false;
    bool drawn_ = false;
    std::string streaming_; // the task whose text came last
    boost::json::object end_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_draw_{};
};

} // namespace gleitzeit::cli
