// The loadable module. Built twice from this file (CMakeLists.txt): queue-memory 1.0.0 writes
// state format 1, and the test build 2.0.0 writes format 2, so that a hot swap between them
// migrates state up and down.

#include "queue_memory.hpp"

#include "gleitzeit/export.hpp"

#ifndef QUEUE_MEMORY_FORMAT
#error "QUEUE_MEMORY_FORMAT (1 or 2) must be defined by the build"
#endif
#ifndef QUEUE_MEMORY_VERSION
#error "QUEUE_MEMORY_VERSION must be defined by the build"
#endif

namespace {

// GLEITZEIT_PLUGIN creates the instance from the config alone; the format is this build's.
class queue_memory_plugin : public gleitzeit::queue_memory {
public:
    explicit queue_memory_plugin(const boost::json::object& config)
        : queue_memory(config, QUEUE_MEMORY_FORMAT) {}
};

} // namespace

GLEITZEIT_PLUGIN(queue, "queue-memory", QUEUE_MEMORY_VERSION, queue_memory_plugin)
