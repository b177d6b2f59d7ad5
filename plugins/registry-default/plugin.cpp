// The loadable module of registry-default.

#include "registry_default.hpp"

#include "gleitzeit/export.hpp"

GLEITZEIT_PLUGIN(registry, "registry-default", "1.0.0", gleitzeit::registry_default)
