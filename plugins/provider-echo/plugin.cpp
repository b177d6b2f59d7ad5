// The loadable module: provider-echo 1.0.0 in the provider slot.

#include "provider_echo.hpp"

#include "gleitzeit/export.hpp"

GLEITZEIT_PLUGIN(provider, "provider-echo", "1.0.0", gleitzeit::provider_echo)
