// The loadable module: persistence-sqlite 1.0.0 in the persistence slot.
#include "persistence_sqlite.hpp"

#include "gleitzeit/export.hpp"

GLEITZEIT_PLUGIN(persistence, "persistence-sqlite", "1.0.0", gleitzeit::persistence_sqlite)
