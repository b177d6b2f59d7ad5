// persistence-sqlite's event log by workflow (event_history, for watch_workflow), and the
// migration of a schema-1 file whose events had no number of their own.
#include "persistence_sqlite_fixtures.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace persistence_sqlite_test;
using gleitzeit::persistence;
using gleitzeit::persistence_sqlite;
namespace json = boost::json;

namespace {

json::object event(const char* name, const char* workflow, std::int64_t seq) {
    return {{"event", name}, {"workflow_id", workflow}, {"seq", seq}};
}

std::vector<std::string> texts(const std::vector<json::object>& events) {
    std::vector<std::string> out;
    for (const auto& e : events)
        out.push_back(json::serialize(e));
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(persistence_events_suite)

BOOST_AUTO_TEST_CASE(events_are_read_back_by_workflow_from_a_seq_on) {
    temp_dir dir;
    persistence_sqlite p(config_for(dir.file("state.db")));
    persistence::batch b;
    b.events = {event("workflow_started", "w1", 1), event("workflow_started", "w2", 1),
                event("task_started", "w1", 2), event("task_completed", "w1", 3),
                {{"event", "no_workflow"}}};
    p.save(b);
    BOOST_TEST(texts(p.load_events("w1", 1, 100)) ==
                   (std::vector<std::string>{
                       R"({"event":"task_started","workflow_id":"w1","seq":2})",
                       R"({"event":"task_completed","workflow_id":"w1","seq":3})"}),
               boost::test_tools::per_element());
    BOOST_TEST(p.load_events("w1", 0, 2).size() == 2u);
    BOOST_TEST(p.load_events("w1", 3, 100).empty());
    BOOST_TEST(p.load_events("nobody", 0, 100).empty());
    BOOST_TEST(p.last_event_seq("w1") == 3);
    BOOST_TEST(p.last_event_seq("w2") == 1);
    BOOST_TEST(p.last_event_seq("nobody") == 0);
}

BOOST_AUTO_TEST_CASE(a_schema_1_file_is_migrated_with_its_events_numbered_per_workflow) {
    temp_dir dir;
    const auto path = dir.file("state.db");
    {
        // The file as a build of schema 1 left it: events without columns of their own. An
        // empty file is a new database to SQLite.
        std::ofstream(path).close();
        raw_db raw(path);
        raw.exec("CREATE TABLE workflows (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
                 "name TEXT NOT NULL, on_failure TEXT NOT NULL, state TEXT NOT NULL, json TEXT "
                 "NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)");
        raw.exec("CREATE TABLE tasks (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
                 "workflow_id TEXT NOT NULL REFERENCES workflows (id), state TEXT NOT NULL, "
                 "attempt INTEGER NOT NULL, due_ms INTEGER NOT NULL, priority TEXT NOT NULL, "
                 "json TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)");
        raw.exec("CREATE TABLE results (task_id TEXT PRIMARY KEY REFERENCES tasks (id), ok "
                 "INTEGER NOT NULL, json TEXT NOT NULL, provider TEXT NOT NULL, duration_ms "
                 "REAL NOT NULL, saved_ms INTEGER NOT NULL)");
        raw.exec("CREATE TABLE events (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, json "
                 "TEXT NOT NULL)");
        raw.exec(R"(INSERT INTO events (at_ms, json) VALUES
            (1, '{"event":"workflow_started","workflow_id":"a"}'),
            (2, '{"event":"workflow_started","workflow_id":"b"}'),
            (3, '{"event":"task_started","workflow_id":"a","task_id":"x"}'),
            (4, '{"event":"workflow_completed","workflow_id":"b"}'))");
        raw.exec("PRAGMA user_version = 1");
    }
    persistence_sqlite p(config_for(path));
    BOOST_TEST(raw_db(path).value("PRAGMA user_version") == "2");
    BOOST_TEST(texts(p.load_events("a", 0, 10)) ==
                   (std::vector<std::string>{
                       R"({"event":"workflow_started","workflow_id":"a","seq":1})",
                       R"({"event":"task_started","workflow_id":"a","task_id":"x","seq":2})"}),
               boost::test_tools::per_element());
    BOOST_TEST(p.last_event_seq("b") == 2);
    // New events go on from there.
    persistence::batch b;
    b.events = {event("task_completed", "a", 3)};
    p.save(b);
    BOOST_TEST(p.load_events("a", 2, 10).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
