// The loadable module: provider-llm 1.0.0 in the provider slot.

#include "provider_llm.hpp"

#include "gleitzeit/export.hpp"

GLEITZEIT_PLUGIN(provider, "provider-llm", "1.0.0", gleitzeit::provider_llm)
