// save(batch): one write transaction, prepared statements kept by the database.
#include "persistence_sqlite.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <sqlite3.h>

#include <chrono>

namespace gleitzeit {

namespace json = boost::json;
using persistence_sqlite_detail::statement;
using persistence_sqlite_detail::statement_run;
using persistence_sqlite_detail::transaction;

namespace {

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

[[noreturn]] void refuse(const std::string& what, const std::string& why) {
    throw error(error_code::invalid_argument,
                "persistence-sqlite: cannot save " + what + ": " + why);
}

/// Runs a statement bound by the caller; on failure names the row, and for a broken foreign
/// key says which parent is missing, which SQLite's own message does not. Both names are
/// made only then: a busy hub saves tens of thousands of rows a second.
template <class What, class Parent>
void run(statement_run& q, const What& what, const Parent& missing_parent) {
    try {
        q->step();
    } catch (const error& e) {
        std::string why = e.what();
        if (q->last_error() == SQLITE_CONSTRAINT_FOREIGNKEY)
            why += " (" + missing_parent() + " is not saved)";
        throw error(e.code(), "persistence-sqlite: cannot save " + what() + ": " + why);
    }
}

} // namespace

void persistence_sqlite::save(const batch& b) {
    const auto now_ms = unix_ms();
    transaction tx(db_, transaction::write);
    for (const workflow& w : b.workflows)
        save_workflow(w, now_ms);
    for (const task& t : b.tasks)
        save_task(t, t.workflow_id, now_ms);
    for (const task_result& r : b.results)
        save_result(r, now_ms);
    for (const json::object& e : b.events)
        save_event(e, now_ms);
    // With synchronous FULL the commit returns after the WAL is synced: durable on return.
    tx.commit();
}

void persistence_sqlite::save_workflow(const workflow& w, std::int64_t now_ms) {
    const auto what = [&] { return "workflow '" + w.id + "'"; };
    if (w.id.empty())
        refuse("a workflow", "it has no id");
    // The tasks live in their own table, row by row; the workflow's json is the rest of it.
    const json::object o = workflow_without_tasks(w);
    {
        statement_run q(db_.cached(
            "INSERT INTO workflows (id, name, on_failure, state, json, created_ms, updated_ms)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
            " on_failure = excluded.on_failure, state = excluded.state, json = excluded.json,"
            " updated_ms = excluded.updated_ms"));
        q->bind(1, w.id).bind(2, w.name).bind(3, to_string(w.on_failure));
        q->bind(4, to_string(w.state)).bind(5, json::serialize(o)).bind(6, now_ms);
        run(q, what, [] { return std::string(); });
    }
    for (const task& t : w.tasks) {
        if (!t.workflow_id.empty() && t.workflow_id != w.id)
            refuse("task '" + t.id + "'",
                   "it is carried by " + what() + " but names workflow '" + t.workflow_id + "'");
        save_task(t, w.id, now_ms);
    }
}

void persistence_sqlite::save_task(const task& t, const std::string& workflow_id,
                                   std::int64_t now_ms) {
    const auto what = [&] { return "task '" + t.id + "' of workflow '" + workflow_id + "'"; };
    if (t.id.empty())
        refuse("a task of workflow '" + workflow_id + "'", "it has no id");
    json::value v = json::value_from(t);
    v.get_object()["workflow_id"] = workflow_id;
    // The WHERE keeps a task in the workflow it was first saved with: an id that two
    // workflows claim would give load_result and the queue two tasks under one key.
    statement_run q(db_.cached(
        "INSERT INTO tasks (id, workflow_id, state, attempt, due_ms, priority, json,"
        " created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
        " ON CONFLICT (id) DO UPDATE SET state = excluded.state, attempt = excluded.attempt,"
        " due_ms = excluded.due_ms, priority = excluded.priority, json = excluded.json,"
        " updated_ms = excluded.updated_ms WHERE tasks.workflow_id = excluded.workflow_id"));
    q->bind(1, t.id).bind(2, workflow_id).bind(3, to_string(t.state));
    q->bind(4, static_cast<std::int64_t>(t.attempt)).bind(5, t.due_ms);
    q->bind(6, to_string(t.priority)).bind(7, json::serialize(v)).bind(8, now_ms);
    run(q, what, [&] { return "workflow '" + workflow_id + "'"; });
    if (db_.changes() == 0)
        refuse(what(), "the task is saved under another workflow");
}

void persistence_sqlite::save_result(const task_result& r, std::int64_t now_ms) {
    const auto what = [&] { return "the result of task '" + r.task_id + "'"; };
    // What load_result could not read back is refused now, not found out at recovery.
    if (r.result.has_value() == r.error.has_value())
        refuse(what(), r.result ? "it has both a result and an error (expected one)"
                              : "it has neither a result nor an error (expected one)");
    // DO NOTHING: delivery is at least once, so a result may come twice; the first stays.
    statement_run q(
        db_.cached("INSERT INTO results (task_id, ok, json, provider, duration_ms, saved_ms)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (task_id) DO NOTHING"));
    q->bind(1, r.task_id).bind(2, std::int64_t{r.ok() ? 1 : 0});
    q->bind(3, json::serialize(json::value_from(r))).bind(4, r.provider);
    q->bind(5, r.duration_ms).bind(6, now_ms);
    run(q, what, [&] { return "task '" + r.task_id + "'"; });
}

void persistence_sqlite::save_event(const json::object& e, std::int64_t now_ms) {
    statement_run q(db_.cached(
        "INSERT INTO events (at_ms, json, workflow_id, workflow_seq) VALUES (?1, ?2, ?3, ?4)"));
    q->bind(1, now_ms).bind(2, json::serialize(e));
    // An event of no workflow, or without its number, is kept but not found by workflow.
    const auto* id = e.if_contains("workflow_id");
    const auto* seq = e.if_contains("seq");
    if (id && id->is_string())
        q->bind(3, std::string_view(id->get_string()));
    if (seq && seq->is_int64())
        q->bind(4, seq->get_int64());
    run(q, [] { return std::string("an event"); }, [] { return std::string(); });
}

} // namespace gleitzeit
