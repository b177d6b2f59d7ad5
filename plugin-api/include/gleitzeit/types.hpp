#pragma once
// The product's data: tasks and workflows (docs/plugins.md, section 3), protocol specs, method
// calls and their results. Each converts to and from Boost.JSON (tag_invoke), in the field
// names of docs/events.md, so a remote component sees the same shapes as a plugin.

#include "gleitzeit/error.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gleitzeit {

enum class priority { urgent, high, normal, low }; // dispatch order, most urgent first

enum class task_state {
    pending,       // waits for dependencies
    ready,         // dependencies met, queued
    executing,     // sent to a provider
    completed,
    failed,        // no attempts left
    retry_pending, // failed, another attempt is due at `due_ms`
    cancelled,
    skipped,       // a dependency failed
};

enum class backoff { fixed, linear, exponential };

struct retry_policy {
    unsigned max_attempts = 1; // 1: no retry
    backoff kind = backoff::exponential;
    std::chrono::milliseconds base_delay{1000};
    std::chrono::milliseconds max_delay{60000};
    double jitter = 0.1; // fraction of the delay, drawn uniformly in [-jitter, +jitter]
};

struct task {
    std::string id;
    std::string workflow_id;
    std::string name;
    std::string protocol; // e.g. "echo/v1"
    std::string method;
    boost::json::object params; // may hold ${task.result...} references until released
    std::vector<std::string> dependencies;
    gleitzeit::priority priority = priority::normal;
    std::chrono::milliseconds timeout{30000};
    retry_policy retry;
    task_state state = task_state::pending;
    unsigned attempt = 0;      // attempts started so far
    std::int64_t due_ms = 0;   // Unix ms when a retry_pending task is due; 0: now
    boost::json::object metadata; // the submitter's, kept and shown, never read by the hub
};

enum class failure_policy { fail_fast, continue_ };

enum class workflow_state { pending, running, completed, failed, cancelled };

struct workflow {
    std::string id;
    std::string name;
    std::vector<task> tasks;
    failure_policy on_failure = failure_policy::fail_fast;
    workflow_state state = workflow_state::pending;
    // The submitter's, kept and shown.
    std::string description;
    std::string version;
    boost::json::object metadata;
    /// The whole workflow's time limit from its start; 0: none. Past it the workflow fails.
    std::chrono::milliseconds timeout{0};
    std::int64_t deadline_ms = 0; // Unix ms the hub set from `timeout` when it started; 0: none
};

struct method_spec {
    std::string name;
    std::string description;
    boost::json::object params; // parameter name -> schema (type, required, enum, ...)
};

struct protocol_spec {
    std::string id; // "name/vN"
    std::string description;
    std::vector<method_spec> methods;
};

/// One execute_method request to a provider.
struct method_call {
    std::string task_id; // the idempotency key: delivery is at least once
    std::string protocol;
    std::string method;
    boost::json::object params;
    std::chrono::milliseconds timeout{30000};
};

struct task_error {
    error_code code = error_code::provider_error;
    std::string message;
    bool retryable = true;
};

struct task_result {
    std::string task_id;
    std::optional<boost::json::value> result; // set on success
    std::optional<task_error> error;          // set on failure
    std::string provider;                     // who ran it
    double duration_ms = 0;
    bool ok() const noexcept { return result.has_value(); }
};

// Enum names on the wire: "urgent", "retry_pending", "exponential", "continue", ...
std::string_view to_string(priority p) noexcept;
std::string_view to_string(task_state s) noexcept;
std::string_view to_string(backoff b) noexcept;
std::string_view to_string(failure_policy f) noexcept;
std::string_view to_string(workflow_state s) noexcept;

// JSON conversions. value_to throws gleitzeit::error(invalid_argument) naming the field
// that is missing or of the wrong type.
#define GLEITZEIT_JSON_CONVERSION(T)                                                          \
    void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const T& x);         \
    T tag_invoke(boost::json::value_to_tag<T>, const boost::json::value& v);
GLEITZEIT_JSON_CONVERSION(priority)
GLEITZEIT_JSON_CONVERSION(task_state)
GLEITZEIT_JSON_CONVERSION(workflow_state)
GLEITZEIT_JSON_CONVERSION(retry_policy)
GLEITZEIT_JSON_CONVERSION(task)
GLEITZEIT_JSON_CONVERSION(workflow)
GLEITZEIT_JSON_CONVERSION(method_spec)
GLEITZEIT_JSON_CONVERSION(protocol_spec)
GLEITZEIT_JSON_CONVERSION(method_call)
GLEITZEIT_JSON_CONVERSION(task_error)
GLEITZEIT_JSON_CONVERSION(task_result)
#undef GLEITZEIT_JSON_CONVERSION

/// The JSON of `w` without its tasks, field for field as its conversion writes it: for a store
/// that keeps the tasks in rows of their own.
boost::json::object workflow_without_tasks(const workflow& w);

} // namespace gleitzeit
