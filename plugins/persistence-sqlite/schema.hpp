#pragma once
// The tables of persistence-sqlite and the migrations that bring a file up to date. The
// schema version is SQLite's PRAGMA user_version: 0 in a new file, then one per migration.

#include "database.hpp"

namespace gleitzeit::persistence_sqlite_detail {

/// The version this build writes; a file at a higher version is refused, not guessed at.
inline constexpr int schema_version = 2;

/// Applies every migration the file lacks, each in its own transaction together with the
/// new user_version, so that a crash leaves the file at one version or the next.
void migrate(database& db);

} // namespace gleitzeit::persistence_sqlite_detail
