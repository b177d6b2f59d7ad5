#pragma once
// The persistence slot (docs/plugins.md, section 3): durable workflows, tasks, results and an
// event log. The host calls it from its blocking pool, never from the event loop.

#include "gleitzeit/plugin.hpp"
#include "gleitzeit/types.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace gleitzeit {

class persistence : public plugin {
public:
    ~persistence() override;

    /// Everything in one batch is durable together when the call returns.
    struct batch {
        std::vector<workflow> workflows;
        std::vector<task> tasks;
        std::vector<task_result> results;
        std::vector<boost::json::object> events;
    };
    virtual void save(const batch& b) = 0;
    /// Workflows that have not finished, with their tasks as last saved.
    virtual std::vector<workflow> load_unfinished() = 0;
    /// The result of a completed task, if one was saved.
    virtual std::optional<task_result> load_result(const std::string& task_id) = 0;
};

} // namespace gleitzeit
