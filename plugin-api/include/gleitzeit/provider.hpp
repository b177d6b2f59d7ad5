#pragma once
// The provider slot: runs method calls of the protocols it declares. Calls are
// asynchronous; `done` must be called exactly once per execute(), on any thread.

#include "gleitzeit/plugin.hpp"
#include "gleitzeit/types.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace gleitzeit {

class provider : public plugin {
public:
    using done_fn = std::function<void(task_result)>;

    ~provider() override;

    virtual std::vector<protocol_spec> protocols() const = 0;
    /// How many calls may run at once (the hub's credit for this provider).
    virtual std::size_t max_concurrency() const = 0;
    virtual void execute(method_call call, done_fn done) = 0;
    /// Asks a running call to stop; its `done` still comes, with error code `cancelled`.
    virtual void cancel(const std::string& task_id) = 0;
};

} // namespace gleitzeit
