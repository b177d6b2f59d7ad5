// The loadable module: resolver-dag 1.0.0, state format resolver/1.

#include "resolver_dag.hpp"

#include "gleitzeit/export.hpp"

GLEITZEIT_PLUGIN(resolver, "resolver-dag", "1.0.0", gleitzeit::resolver_dag)
