#pragma once
// The SQLite connection of persistence-sqlite and its prepared statements: RAII over the C
// API, with every failure turned into gleitzeit::error carrying SQLite's own message.

#include "gleitzeit/error.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace gleitzeit::persistence_sqlite_detail {

/// One prepared statement. step() and the bind/column calls throw gleitzeit::error.
class statement {
public:
    statement(sqlite3* db, std::string_view sql);
    ~statement();
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    // Parameters count from 1, as in SQLite.
    statement& bind(int index, std::string_view text);
    statement& bind(int index, std::int64_t number);
    statement& bind(int index, double number);

    /// True while there is a row to read; false when the statement is done.
    bool step();
    /// Ready to run again: the previous run's bindings are cleared.
    void reset() noexcept;

    // Columns count from 0, as in SQLite. text() is valid until the next step or reset.
    std::string_view text(int column) const;
    std::int64_t int64(int column) const;

    /// SQLite's extended result code of the last step that failed.
    int last_error() const noexcept { return last_error_; }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    int last_error_ = 0;
};

/// Resets a statement when a scope ends, so that a cached statement that threw half way does
/// not keep a read transaction or stale bindings open.
class statement_run {
public:
    explicit statement_run(statement& s) noexcept : s_(s) {}
    ~statement_run() { s_.reset(); }
    statement_run(const statement_run&) = delete;
    statement_run& operator=(const statement_run&) = delete;
    statement* operator->() const noexcept { return &s_; }

private:
    statement& s_;
};

class database {
public:
    /// Opens (and creates) the file read-write. Throws error(plugin_error,
    /// "cannot open database '<path>': <sqlite message>").
    explicit database(const std::string& path);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    /// Runs SQL that returns no rows we need (pragmas that set, DDL, BEGIN/COMMIT).
    void exec(const std::string& sql);
    /// The first column of the first row of `sql`, as text ("" when there is no row).
    std::string query_text(const std::string& sql);
    std::int64_t query_int(const std::string& sql);

    /// The statement for `sql`, prepared on first use and kept: a save of 10,000 rows must
    /// not parse its SQL 10,000 times. `sql` is a literal, so its address is its key.
    statement& cached(const char* sql);

    /// False inside a transaction. SQLite rolls back by itself on some errors (a full disk,
    /// an I/O error), after which a ROLLBACK of ours would fail.
    bool autocommit() const noexcept;
    /// Rows the last INSERT, UPDATE or DELETE changed; 0 for an upsert whose WHERE refused.
    std::int64_t changes() const noexcept;

    const std::string& path() const noexcept { return path_; }
    sqlite3* handle() const noexcept { return db_; }

private:
    std::string path_;
    sqlite3* db_ = nullptr;
    std::map<const char*, std::unique_ptr<statement>> statements_;
};

/// BEGIN on construction; ROLLBACK on destruction unless commit() ran. A write transaction
/// is BEGIN IMMEDIATE: it takes the write lock up front, so it never fails half way because
/// another connection (the next generation during a hot swap) wrote first. A read
/// transaction gives the reads inside it one snapshot of the file.
class transaction {
public:
    enum kind { read, write };
    transaction(database& db, kind k);
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    void commit();

private:
    database& db_;
    bool done_ = false;
};

} // namespace gleitzeit::persistence_sqlite_detail
