#include "schema.hpp"

#include <iterator>
#include <string>

namespace gleitzeit::persistence_sqlite_detail {

namespace {

// migrations[n] takes a file from version n to n + 1. Append; never edit a shipped one.
//
// Why `seq INTEGER PRIMARY KEY` beside the `id` key: load_unfinished() returns workflows in
// creation order and tasks in the order first saved. An upsert keeps the row, so it keeps its
// seq; and a column that aliases the rowid survives VACUUM, which a bare rowid does not.
// Enum columns hold the wire names of types.hpp ("retry_pending"), so the file reads as the
// product talks. `json` holds the whole object as the codec of types.hpp writes it; the other
// columns are the fields that queries select on, written from the same object.
constexpr const char* migrations[] = {
    R"sql(
CREATE TABLE workflows (
    seq        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    on_failure TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    json       TEXT    NOT NULL,   -- the workflow without its tasks
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
-- Recovery reads the unfinished workflows, in creation order.
CREATE INDEX workflows_unfinished ON workflows (seq) WHERE state IN ('pending', 'running');

CREATE TABLE tasks (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    workflow_id TEXT    NOT NULL REFERENCES workflows (id),
    state       TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    due_ms      INTEGER NOT NULL,
    priority    TEXT    NOT NULL,
    json        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
-- Recovery reads a workflow's tasks in the order first saved.
CREATE INDEX tasks_by_workflow ON tasks (workflow_id, seq);

CREATE TABLE results (
    task_id     TEXT    PRIMARY KEY REFERENCES tasks (id),
    ok          INTEGER NOT NULL,
    json        TEXT    NOT NULL,
    provider    TEXT    NOT NULL,
    duration_ms REAL    NOT NULL,
    saved_ms    INTEGER NOT NULL
);

CREATE TABLE events (
    seq   INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    json  TEXT    NOT NULL
);
)sql",
    // 1 -> 2: watch_workflow reads one workflow's events from a given event number on
    // (event_history, gleitzeit/archive.hpp). Events logged before carry no number: they are
    // counted per workflow in the order they were logged, as the hub numbered them since.
    R"sql(
ALTER TABLE events ADD COLUMN workflow_id TEXT;
ALTER TABLE events ADD COLUMN workflow_seq INTEGER;
UPDATE events SET workflow_id = json_extract(json, '$.workflow_id');
UPDATE events SET workflow_seq = numbered.n
  FROM (SELECT seq, row_number() OVER (PARTITION BY workflow_id ORDER BY seq) AS n
        FROM events WHERE workflow_id IS NOT NULL) AS numbered
  WHERE events.seq = numbered.seq;
CREATE INDEX events_by_workflow ON events (workflow_id, workflow_seq);
)sql",
};

static_assert(std::size(migrations) == schema_version, "schema_version must count the migrations");

} // namespace

void migrate(database& db) {
    const auto found = db.query_int("PRAGMA user_version");
    if (found > schema_version)
        throw error(error_code::plugin_error,
                    "persistence-sqlite: database '" + db.path() + "' has schema version " +
                        std::to_string(found) + ", newer than the " +
                        std::to_string(schema_version) + " this plugin knows");
    for (auto version = found; version < schema_version; ++version) {
        transaction tx(db, transaction::write);
        // Read again under the write lock: another generation may have migrated meanwhile.
        const auto now = db.query_int("PRAGMA user_version");
        if (now > version) {
            tx.commit();
            version = now - 1;
            continue;
        }
        db.exec(migrations[version]);
        db.exec("PRAGMA user_version = " + std::to_string(version + 1));
        tx.commit();
    }
}

} // namespace gleitzeit::persistence_sqlite_detail
