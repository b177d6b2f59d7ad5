#include "database.hpp"

#include <sqlite3.h>

namespace gleitzeit::persistence_sqlite_detail {

namespace {

// A constraint (a task of an unknown workflow, a NULL where none may be) is the caller's
// mistake; anything else (a full disk, a locked or corrupt file) is the plugin's failure.
error_code code_of(int rc) noexcept {
    return (rc & 0xff) == SQLITE_CONSTRAINT ? error_code::invalid_argument
                                            : error_code::plugin_error;
}

[[noreturn]] void fail(sqlite3* db, int rc) {
    throw error(code_of(rc), db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

} // namespace

// ---- statement ----------------------------------------------------------------------------

statement::statement(sqlite3* db, std::string_view sql) : db_(db) {
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK)
        fail(db_, rc);
}

statement::~statement() {
    sqlite3_finalize(stmt_);
}

statement& statement::bind(int index, std::string_view text) {
    // SQLITE_TRANSIENT: the caller's string may be a temporary that dies before step().
    const int rc =
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK)
        fail(db_, rc);
    return *this;
}

statement& statement::bind(int index, std::int64_t number) {
    const int rc = sqlite3_bind_int64(stmt_, index, number);
    if (rc != SQLITE_OK)
        fail(db_, rc);
    return *this;
}

statement& statement::bind(int index, double number) {
    const int rc = sqlite3_bind_double(stmt_, index, number);
    if (rc != SQLITE_OK)
        fail(db_, rc);
    return *this;
}

bool statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    last_error_ = sqlite3_extended_errcode(db_);
    fail(db_, last_error_);
}

void statement::reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string_view statement::text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (!p)
        return {};
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::int64_t statement::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

// ---- database -----------------------------------------------------------------------------

database::database(const std::string& path) : path_(path) {
    // NOMUTEX: one connection per instance, called one call at a time (persistence.hpp), so
    // SQLite's own locking of the connection would only cost time.
    const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                       SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                                   nullptr);
    if (rc != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw error(error_code::plugin_error,
                    "persistence-sqlite: cannot open database '" + path + "': " + why);
    }
}

database::~database() {
    // Statements first: a connection with unfinalized statements does not close.
    statements_.clear();
    sqlite3_close(db_);
}

void database::exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        const std::string why = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw error(code_of(rc), why);
    }
}

std::string database::query_text(const std::string& sql) {
    statement s(db_, sql);
    return s.step() ? std::string(s.text(0)) : std::string();
}

std::int64_t database::query_int(const std::string& sql) {
    statement s(db_, sql);
    return s.step() ? s.int64(0) : 0;
}

statement& database::cached(const char* sql) {
    auto& slot = statements_[sql];
    if (!slot)
        slot = std::make_unique<statement>(db_, sql);
    return *slot;
}

bool database::autocommit() const noexcept {
    return sqlite3_get_autocommit(db_) != 0;
}

std::int64_t database::changes() const noexcept {
    return sqlite3_changes64(db_);
}

// ---- transaction --------------------------------------------------------------------------

transaction::transaction(database& db, kind k) : db_(db) {
    db_.exec(k == write ? "BEGIN IMMEDIATE" : "BEGIN");
}

transaction::~transaction() {
    if (done_ || db_.autocommit())
        return;
    try {
        db_.exec("ROLLBACK");
    } catch (const error&) {
        // Nothing more to undo: SQLite already rolled back, or the connection is gone with
        // the file; the error that brought us here is the one the caller sees.
    }
}

void transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

} // namespace gleitzeit::persistence_sqlite_detail
