#pragma once
// Telling a resolver the workflows it should know: after a restart (pipeline_recovery.cpp),
// and when a resolver fills a slot that was empty while workflows ran
// (pipeline_reacquaint.cpp). Internal to host/hub.

#include <gleitzeit/resolver.hpp>
#include <gleitzeit/types.hpp>

#include <map>
#include <string>

namespace gleitzeit::hub {

struct saved_workflow {
    workflow w; // tasks unqualified, as saved
    std::map<std::string, task_result> results;
    std::int64_t last_seq = 0; // its last logged event's number
};

/// Gives the resolver the workflow as submitted and then its results, in the order of
/// s.w.tasks (each task after its dependencies); returns what they released. Throws what
/// the resolver throws.
task_release replay(resolver& res, const saved_workflow& s);

} // namespace gleitzeit::hub
