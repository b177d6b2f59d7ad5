// The loadable module: provider-mcp 1.0.0 in the provider slot.

#include "provider_mcp.hpp"

#include "gleitzeit/export.hpp"

GLEITZEIT_PLUGIN(provider, "provider-mcp", "1.0.0", gleitzeit::provider_mcp)
