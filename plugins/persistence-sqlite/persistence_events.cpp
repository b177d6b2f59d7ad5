// Reading the event log back by workflow, for watch_workflow (event_history,
// gleitzeit/archive.hpp). Events are found by (workflow_id, workflow_seq), the columns
// save_event fills from each event's own "workflow_id" and "seq".
#include "persistence_sqlite.hpp"

#include <boost/json/parse.hpp>

#include <limits>

namespace gleitzeit {

namespace json = boost::json;
using persistence_sqlite_detail::statement_run;
using persistence_sqlite_detail::transaction;

std::vector<json::object> persistence_sqlite::load_events(const std::string& workflow_id,
                                                          std::int64_t since, std::size_t limit) {
    transaction snapshot(db_, transaction::read);
    std::vector<json::object> out;
    {
        statement_run q(db_.cached("SELECT json, workflow_seq FROM events WHERE workflow_id = ?1"
                                   " AND workflow_seq > ?2 ORDER BY workflow_seq LIMIT ?3"));
        const auto most = std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max());
        q->bind(1, workflow_id).bind(2, since).bind(3, static_cast<std::int64_t>(most));
        while (q->step()) {
            json::value v;
            try {
                v = json::parse(q->text(0));
            } catch (const std::exception&) {
            }
            if (!v.is_object()) // damage to the file: said, not guessed at
                throw error(error_code::plugin_error,
                            "persistence-sqlite: event " + std::to_string(q->int64(1)) +
                                " of workflow '" + workflow_id + "' is not a JSON object");
            auto& o = v.as_object();
            o["seq"] = q->int64(1); // events logged before schema 2 had no number of their own
            out.push_back(std::move(o));
        }
    }
    snapshot.commit();
    return out;
}

std::int64_t persistence_sqlite::last_event_seq(const std::string& workflow_id) {
    statement_run q(
        db_.cached("SELECT max(workflow_seq) FROM events WHERE workflow_id = ?1"));
    q->bind(1, workflow_id);
    return q->step() ? q->int64(0) : 0;
}

} // namespace gleitzeit
