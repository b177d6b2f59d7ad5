// The loadable module: provider-http 1.0.0 in the provider slot.

#include "provider_http.hpp"

#include "gleitzeit/export.hpp"

GLEITZEIT_PLUGIN(provider, "provider-http", "1.0.0", gleitzeit::provider_http)
