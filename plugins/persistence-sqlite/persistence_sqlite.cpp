// Opening the file, and reading it back: load_unfinished, load_result, recovery_plan. Saving
// is in persistence_save.cpp.
#include "persistence_sqlite.hpp"

#include "schema.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>

#include <sqlite3.h>

namespace gleitzeit {

namespace json = boost::json;
using persistence_sqlite_detail::statement;
using persistence_sqlite_detail::statement_run;
using persistence_sqlite_detail::transaction;

namespace {

[[noreturn]] void refuse_config(const std::string& why) {
    throw error(error_code::invalid_argument, "persistence-sqlite: " + why);
}

// A stored object that does not parse or convert is damage to the file (or a bug of ours),
// never the caller's mistake, hence plugin_error naming the row.
template <class T> T decode(std::string_view text, const std::string& what) {
    try {
        return json::value_to<T>(json::parse(text));
    } catch (const std::exception& e) {
        throw error(error_code::plugin_error,
                    "persistence-sqlite: stored " + what + " cannot be read: " + e.what());
    }
}

template <class T> T enum_of(std::string_view name, const std::string& what) {
    try {
        return json::value_to<T>(json::value(name));
    } catch (const std::exception& e) {
        throw error(error_code::plugin_error,
                    "persistence-sqlite: stored " + what + " cannot be read: " + e.what());
    }
}

} // namespace

persistence_sqlite::settings persistence_sqlite::read_settings(const json::object& config) {
    settings s;
    for (const auto& [key, value] : config) {
        if (key == "path") {
            if (!value.is_string() || value.get_string().empty())
                refuse_config("path must be a non-empty string (the database file)");
            s.path = value.get_string();
        } else if (key == "synchronous") {
            if (value == "full")
                s.synchronous_full = true;
            else if (value == "normal")
                s.synchronous_full = false;
            else
                refuse_config("synchronous must be \"full\" or \"normal\", not " +
                              json::serialize(value));
        } else {
            refuse_config("unknown config key '" + std::string(key) + "'");
        }
    }
    return s;
}

persistence_sqlite::persistence_sqlite(const json::object& config)
    : settings_(read_settings(config)), db_(settings_.path) {
    // SQLite opens lazily: a file that is not a database, or a directory it cannot create
    // the WAL in, fails only at the first statement. Say so as a failure to open.
    try {
        sqlite3_busy_timeout(db_.handle(), busy_timeout_ms);
        const auto mode = db_.query_text("PRAGMA journal_mode = WAL");
        if (mode != "wal")
            throw error(error_code::plugin_error,
                        "journal_mode is '" + mode + "' where WAL was asked for");
        db_.exec(settings_.synchronous_full ? "PRAGMA synchronous = FULL"
                                            : "PRAGMA synchronous = NORMAL");
        db_.exec("PRAGMA foreign_keys = ON");
        // 16 MiB of page cache instead of 2: a batch of 10,000 tasks is about 8 MiB of rows
        // and index pages, and a smaller cache spills them to the WAL before the commit.
        db_.exec("PRAGMA cache_size = -16384");
        if (db_.query_int("PRAGMA foreign_keys") != 1)
            throw error(error_code::plugin_error, "this SQLite has no foreign key support");
    } catch (const error& e) {
        throw error(error_code::plugin_error, "persistence-sqlite: cannot open database '" +
                                                  settings_.path + "': " + e.what());
    }
    persistence_sqlite_detail::migrate(db_);
}

persistence_sqlite::~persistence_sqlite() = default;

std::vector<workflow> persistence_sqlite::load_unfinished() {
    transaction snapshot(db_, transaction::read);
    std::vector<workflow> out;
    {
        // The WHERE repeats the partial index's, so that SQLite uses it.
        statement_run q(db_.cached("SELECT id, json FROM workflows"
                                   " WHERE state IN ('pending', 'running') ORDER BY seq"));
        while (q->step()) {
            const std::string id(q->text(0));
            out.push_back(decode<workflow>(q->text(1), "workflow '" + id + "'"));
        }
    }
    for (workflow& w : out)
        load_tasks(w);
    snapshot.commit();
    return out;
}

std::optional<workflow> persistence_sqlite::load_workflow(const std::string& id) {
    transaction snapshot(db_, transaction::read);
    std::optional<workflow> w;
    {
        statement_run q(db_.cached("SELECT json, state FROM workflows WHERE id = ?1"));
        q->bind(1, id);
        if (!q->step())
            return std::nullopt;
        const std::string what = "workflow '" + id + "'";
        w = decode<workflow>(q->text(0), what);
        // The column is the truth, as for tasks.
        w->state = enum_of<workflow_state>(q->text(1), what);
    }
    load_tasks(*w);
    snapshot.commit();
    return w;
}

void persistence_sqlite::load_tasks(workflow& w) {
    statement_run q(db_.cached("SELECT id, json, state, attempt, due_ms, priority FROM tasks"
                               " WHERE workflow_id = ?1 ORDER BY seq"));
    q->bind(1, w.id);
    while (q->step()) {
        const std::string what = "task '" + std::string(q->text(0)) + "'";
        task& t = w.tasks.emplace_back(decode<task>(q->text(1), what));
        // The columns are the truth: they are what the queries select on.
        t.workflow_id = w.id;
        t.state = enum_of<task_state>(q->text(2), what);
        t.attempt = static_cast<unsigned>(q->int64(3));
        t.due_ms = q->int64(4);
        t.priority = enum_of<priority>(q->text(5), what);
    }
}

std::optional<task_result> persistence_sqlite::load_result(const std::string& task_id) {
    statement_run q(db_.cached("SELECT json FROM results WHERE task_id = ?1"));
    q->bind(1, task_id);
    if (!q->step())
        return std::nullopt;
    return decode<task_result>(q->text(0), "result of task '" + task_id + "'");
}

std::vector<workflow_recovery> persistence_sqlite::recovery_plan() {
    std::vector<workflow_recovery> plan;
    for (workflow& w : load_unfinished()) {
        workflow_recovery& r = plan.emplace_back();
        for (const task& t : w.tasks) {
            if (t.state == task_state::ready || t.state == task_state::retry_pending) {
                r.requeue.push_back(t);
            } else if (t.state == task_state::executing) {
                task& again = r.requeue.emplace_back(t);
                again.state = task_state::ready;
                again.attempt = t.attempt + 1;
                again.due_ms = 0;
            }
        }
        r.saved = std::move(w);
    }
    return plan;
}

} // namespace gleitzeit
