#pragma once
// How the pipeline reaches a provider, in-process or remote (docs/architecture.md, "The
// pipeline"): one interface for both, so that the pipeline does not care which it calls.

#include <gleitzeit/types.hpp>

#include <functional>
#include <memory>
#include <string>

namespace gleitzeit::hub {

/// One attempt of a task, as the provider gets it.
struct provider_call {
    method_call call;
    std::string workflow_id;
    unsigned attempt = 1;
    std::string correlation_id;
};

class provider_link {
public:
    virtual ~provider_link() = default;
    /// Runs the call; `done` comes exactly once, on any thread.
    virtual void execute(provider_call c, std::function<void(task_result)> done) = 0;
    /// Asks the provider to stop a call (timeout, cancelled workflow). Its result, if one
    /// still comes, is ignored.
    virtual void cancel(const std::string& task_id, const std::string& reason) = 0;
    /// False once the provider cannot take calls any more (a remote one's connection went).
    virtual bool alive() const { return true; }
};

} // namespace gleitzeit::hub
