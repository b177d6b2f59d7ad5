#pragma once
// Shared by the persistence-sqlite tests: a fresh directory per test, a second raw SQLite
// connection to check what the plugin wrote, and tasks with every field set.

#include "persistence_sqlite.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace persistence_sqlite_test {

namespace fs = std::filesystem;

/// A new directory under the system's temp dir, removed with everything in it at the end.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "gleitzeit-sqlite-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            throw std::runtime_error("mkdtemp failed");
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

/// A connection of its own, as another process would have: what it reads is on the file.
class raw_db {
public:
    explicit raw_db(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            throw std::runtime_error("raw_db: cannot open " + path);
    }
    ~raw_db() { sqlite3_close(db_); }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;

    /// Every row of `sql`, its columns joined by '|'.
    std::vector<std::string> rows(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
            throw std::runtime_error("raw_db: " + std::string(sqlite3_errmsg(db_)));
        std::vector<std::string> out;
        int rc = 0;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            std::string row;
            for (int c = 0; c < sqlite3_column_count(s); ++c) {
                if (c)
                    row += '|';
                const auto* t = sqlite3_column_text(s, c);
                row += t ? reinterpret_cast<const char*>(t) : "NULL";
            }
            out.push_back(std::move(row));
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE)
            throw std::runtime_error("raw_db: " + std::string(sqlite3_errmsg(db_)));
        return out;
    }
    /// The single value of `sql`.
    std::string value(const std::string& sql) {
        const auto r = rows(sql);
        if (r.size() != 1)
            throw std::runtime_error("raw_db: " + std::to_string(r.size()) + " rows for " + sql);
        return r.front();
    }
    void exec(const std::string& sql) {
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
            throw std::runtime_error("raw_db: " + std::string(sqlite3_errmsg(db_)));
    }

private:
    sqlite3* db_ = nullptr;
};

inline boost::json::object config_for(const std::string& path) {
    return boost::json::object{{"path", path}};
}

/// A task with no field at its default, so that a lost field shows.
inline gleitzeit::task full_task(const std::string& id, const std::string& workflow_id) {
    gleitzeit::task t;
    t.id = id;
    t.workflow_id = workflow_id;
    t.name = "name of " + id;
    t.protocol = "echo/v1";
    t.method = "delay";
    t.params = {{"ms", 25},
                {"text", "${a.result.items[0].name}"},
                {"nested", {{"list", {1, 2.5, "x", nullptr}}, {"flag", true}}}};
    t.dependencies = {"a", "b"};
    t.priority = gleitzeit::priority::high;
    t.timeout = std::chrono::milliseconds(1234);
    t.retry.max_attempts = 5;
    t.retry.kind = gleitzeit::backoff::linear;
    t.retry.base_delay = std::chrono::milliseconds(250);
    t.retry.max_delay = std::chrono::milliseconds(9000);
    t.retry.jitter = 0.25;
    t.state = gleitzeit::task_state::retry_pending;
    t.attempt = 2;
    t.due_ms = 1700000000123;
    return t;
}

inline gleitzeit::workflow workflow_of(const std::string& id, gleitzeit::workflow_state s) {
    gleitzeit::workflow w;
    w.id = id;
    w.name = "workflow " + id;
    w.on_failure = gleitzeit::failure_policy::continue_;
    w.state = s;
    return w;
}

template <class T> std::string json_of(const T& x) {
    return boost::json::serialize(boost::json::value_from(x));
}

/// True when `f` throws gleitzeit::error with exactly this code and message.
template <class F>
bool throws_exactly(F&& f, gleitzeit::error_code code, const std::string& message) {
    try {
        f();
    } catch (const gleitzeit::error& e) {
        BOOST_TEST(e.what() == message);
        BOOST_TEST(static_cast<int>(e.code()) == static_cast<int>(code));
        return e.what() == message && e.code() == code;
    }
    BOOST_TEST_MESSAGE("no gleitzeit::error was thrown");
    return false;
}

} // namespace persistence_sqlite_test
