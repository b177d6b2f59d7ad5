// The loadable module: provider-python 1.0.0 in the provider slot.

#include "provider_python.hpp"

#include "gleitzeit/export.hpp"

GLEITZEIT_PLUGIN(provider, "provider-python", "1.0.0", gleitzeit::provider_python)
