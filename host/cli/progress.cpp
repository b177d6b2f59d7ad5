#include "progress.hpp"

#include "report.hpp"
#include "terminal.hpp"

#include <boost/json/serialize.hpp>

#include <cstdio>
#include <sstream>

namespace gleitzeit::cli {
namespace {

namespace json = boost::json;

// The order in which counts are shown: where tasks are headed, then where they ended.
constexpr const char* states[] = {"completed", "failed",   "skipped", "cancelled",
                                  "executing", "retrying", "pending"};

std::int64_t integer(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_int64()    ? v->get_int64()
           : v && v->is_uint64() ? static_cast<std::int64_t>(v->get_uint64())
                                 : 0;
}

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, s < 10 ? "%.1f s" : "%.0f s", s);
    return buf;
}

bool terminal_state(const std::string& s) {
    return s == "completed" || s == "failed" || s == "skipped" || s == "cancelled";
}

} // namespace

progress::progress(std::ostream& out, std::vector<std::string> tasks, std::size_t columns,
                   bool verbose)
    : out_(out), columns_(columns), verbose_(verbose), silent_(out.rdbuf() == nullptr),
      order_(std::move(tasks)) {
    for (const auto& id : order_)
        tasks_[id];
    count_["pending"] = tasks_.size();
}

progress::task_view& progress::task(const json::object& payload) {
    auto id = string_field(payload, "task_id");
    auto [it, fresh] = tasks_.try_emplace(id);
    if (fresh) {
        order_.push_back(id);
        ++count_["pending"];
    }
    return it->second;
}

void progress::set_state(task_view& t, const std::string& state) {
    // Counted as they change: a view that walked every task on every event would cost the
    // CLI more than the hub spends on a large workflow.
    --count_[t.state];
    finished_ -= terminal_state(t.state);
    t.state = state;
    ++count_[t.state];
    finished_ += terminal_state(t.state);
}

std::string progress::counts(const char* separator) const {
    std::string line;
    for (const char* s : states)
        if (auto it = count_.find(s); it != count_.end() && it->second)
            line +=
                (line.empty() ? "" : separator) + std::string(s) + " " + std::to_string(it->second);
    return line;
}

void progress::on_event(const std::string& event, const json::object& payload) {
    // A silent view (--json) waits for the end only: the final results come from query_status,
    // and keeping each task's would cost the CLI more than the hub spends on a large workflow.
    if (silent_ && event.compare(0, 9, "workflow_") != 0)
        return;
    if (event == "task_progress")
        return on_progress(payload);
    if (event == "task_completed" || event == "task_failed")
        flush_stream(string_field(payload, "task_id"));
    std::string line;
    if (event == "workflow_started") {
        name_ = string_field(payload, "name");
        line = "workflow " + string_field(payload, "workflow_id") +
               (name_.empty() ? "" : " (" + name_ + ")") +
               " started: " + std::to_string(integer(payload, "tasks")) + " tasks";
    } else if (event == "task_started") {
        auto& t = task(payload);
        set_state(t, "executing");
        t.attempt = integer(payload, "attempt");
        line = string_field(payload, "task_id") + " started";
        if (auto p = string_field(payload, "provider"); !p.empty())
            line += " on " + p;
        if (t.attempt > 1)
            line += " (attempt " + std::to_string(t.attempt) + ")";
    } else if (event == "task_completed") {
        auto& t = task(payload);
        set_state(t, "completed");
        if (const auto* r = payload.if_contains("result"))
            t.result = *r;
        line = string_field(payload, "task_id") + " completed";
    } else if (event == "task_retrying") {
        auto& t = task(payload);
        set_state(t, "retrying");
        line = string_field(payload, "task_id") + " attempt " +
               std::to_string(integer(payload, "attempt")) + " failed, retrying in " +
               seconds(static_cast<double>(integer(payload, "delay_ms")) / 1000);
        if (const auto* e = payload.if_contains("error"))
            line += ": " + error_text(*e);
    } else if (event == "task_failed") {
        auto& t = task(payload);
        set_state(t, "failed");
        line = string_field(payload, "task_id") + " failed";
        if (const auto* e = payload.if_contains("error")) {
            t.error = *e;
            line += ": " + error_text(*e);
        }
    } else if (event == "task_skipped") {
        set_state(task(payload), "skipped");
        line = string_field(payload, "task_id") + " skipped: a dependency failed";
    } else if (event == "workflow_completed" || event == "workflow_failed" ||
               event == "workflow_cancelled") {
        ended_ = true;
        end_ = payload;
        for (auto& [id, t] : tasks_)
            if (!terminal_state(t.state))
                set_state(t, "cancelled");
        if (const auto* r = payload.if_contains("results"); r && r->is_object())
            for (const auto& [id, result] : r->get_object())
                tasks_[std::string(id)].result = result;
        line = "workflow " + string_field(payload, "state");
        if (auto reason = string_field(payload, "reason"); !reason.empty())
            line += ": " + reason;
    } else {
        return; // not a progress event
    }
    if (silent_)
        return;
    // A terminal shows the counts in the bar and only what needs reading as lines, unless
    // --verbose asks for every task's.
    bool noteworthy = verbose_ || event == "workflow_started" || event == "task_retrying" ||
                      event == "task_failed" || event == "task_skipped" || ended_;
    if (columns_ == 0)
        say(line + "  (" + std::to_string(finished_) + "/" + std::to_string(tasks_.size()) +
            " done: " + counts(", ") + ")");
    else if (noteworthy && !(ended_ && event == "workflow_completed"))
        say(line);
    draw(noteworthy);
}

// What the provider running a task says of it (docs/events.md, task_progress): text comes in
// pieces that are printed once a line is whole; other progress, such as an MCP tool's
// {progress, total?, message?}, is a line of its own.
void progress::on_progress(const json::object& payload) {
    if (silent_)
        return;
    const auto id = string_field(payload, "task_id");
    auto it = tasks_.find(id);
    if (it == tasks_.end())
        return;
    auto& t = it->second;
    if (const auto* piece = payload.if_contains("text"); piece && piece->is_string()) {
        t.streamed += piece->get_string();
        for (auto nl = t.streamed.find('\n'); nl != std::string::npos; nl = t.streamed.find('\n')) {
            say(id + ": " + t.streamed.substr(0, nl));
            t.streamed.erase(0, nl + 1);
        }
        streaming_ = id;
        return draw(false);
    }
    std::string line = id + " progress";
    if (const auto* done = payload.if_contains("progress"); done && done->is_number()) {
        line += " " + json::serialize(*done);
        if (const auto* total = payload.if_contains("total"); total && total->is_number())
            line += "/" + json::serialize(*total);
    }
    if (auto message = string_field(payload, "message"); !message.empty())
        line += ": " + message;
    say(line);
    draw(true);
}

void progress::flush_stream(const std::string& id) {
    auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second.streamed.empty())
        return;
    say(id + ": " + it->second.streamed);
    it->second.streamed.clear();
}

void progress::say(const std::string& line) {
    if (columns_ == 0) {
        out_ << line << '\n' << std::flush;
        return;
    }
    out_ << "\r\x1b[K" << clip(line, columns_) << '\n';
    drawn_ = false;
}

void progress::draw(bool now) {
    if (columns_ == 0)
        return;
    // At most ten redraws a second: a terminal cannot show more, and each costs a write.
    const auto at = std::chrono::steady_clock::now();
    if (!now && drawn_ && at - last_draw_ < std::chrono::milliseconds(100))
        return;
    last_draw_ = at;
    const std::size_t width = 20;
    std::size_t done = finished_, total = tasks_.size();
    std::size_t filled = total ? done * width / total : 0;
    auto elapsed = std::chrono::duration<double>(at - started_).count();
    // The rate means something after a second, not before.
    char rate[40] = "";
    if (elapsed >= 1)
        std::snprintf(rate, sizeof rate, "  %.0f tasks/s", static_cast<double>(done) / elapsed);
    std::string line = (name_.empty() ? std::string() : name_ + " ") + "[" +
                       std::string(filled, '#') + std::string(width - filled, '-') + "] " +
                       std::to_string(done) + "/" + std::to_string(total) + "  " + counts("  ") +
                       rate + "  " + seconds(elapsed);
    if (auto it = tasks_.find(streaming_); it != tasks_.end() && !it->second.streamed.empty())
        line += "  " + streaming_ + ": " + it->second.streamed;
    out_ << "\r\x1b[K" << clip(line, columns_ - 1) << std::flush;
    drawn_ = true;
}

void progress::tick() {
    if (drawn_) // the wait's clock: the redraw that events skipped, and the time moving on
        draw(true);
}

void progress::finish() {
    if (columns_ != 0 && drawn_)
        out_ << '\n' << std::flush;
    drawn_ = false;
}

json::object progress::as_workflow(const std::string& id) const {
    json::object tasks;
    for (const auto& tid : order_) {
        const auto& t = tasks_.at(tid);
        json::object o{{"state", t.state}, {"attempt", t.attempt}};
        if (!t.result.is_null())
            o["result"] = t.result;
        if (!t.error.is_null())
            o["error"] = t.error;
        tasks[tid] = std::move(o);
    }
    json::object w{{"id", id}, {"name", name_}, {"tasks", std::move(tasks)}};
    w["state"] = ended_ ? json::value(string_field(end_, "state")) : json::value("running");
    return w;
}

} // namespace gleitzeit::cli
