// The wire shapes of types.hpp (docs/events.md). Writers emit every field, so a reader in any
// language sees the same keys; readers require only the fields that identify a thing and
// take the struct's default for the rest, so a hand-written workflow stays short. Unknown keys
// are ignored: a newer peer may send more than this version knows.

#include "gleitzeit/types.hpp"

#include "json_read.hpp"

#include <array>
#include <cstddef>
#include <limits>
#include <string_view>

namespace gleitzeit {

namespace json = boost::json;
using json_read::path;

namespace {

// ---- enum names ------------------------------------------------------------------------

/// The wire names of an enum, indexed by its value.
template <class E, std::size_t N> struct enum_names {
    std::string_view what; // for messages: "unknown <what> '...'"
    std::array<std::string_view, N> names;

    std::string_view name(E e) const noexcept {
        auto i = static_cast<std::size_t>(e);
        return i < N ? names[i] : std::string_view("unknown");
    }

    E parse(const json::value& v, const path& at) const {
        std::string_view s = json_read::as_string(v, at);
        for (std::size_t i = 0; i < N; ++i)
            if (names[i] == s)
                return static_cast<E>(i);
        std::string problem = "unknown ";
        problem += what;
        problem += ' ';
        problem += json_read::quote(s);
        problem += " (expected ";
        for (std::size_t i = 0; i < N; ++i) {
            if (i > 0)
                problem += i + 1 == N ? " or " : ", ";
            problem += names[i];
        }
        problem += ')';
        json_read::fail(at, problem);
    }
};

constexpr enum_names<priority, 4> priority_names{"priority", {"urgent", "high", "normal", "low"}};
constexpr enum_names<task_state, 8> task_state_names{"task state",
                                                     {"pending", "ready", "executing", "completed",
                                                      "failed", "retry_pending", "cancelled",
                                                      "skipped"}};
constexpr enum_names<backoff, 3> backoff_names{"backoff", {"fixed", "linear", "exponential"}};
constexpr enum_names<failure_policy, 2> failure_policy_names{"failure policy",
                                                             {"fail_fast", "continue"}};
constexpr enum_names<workflow_state, 5> workflow_state_names{
    "workflow state", {"pending", "running", "completed", "failed", "cancelled"}};

// error.cpp owns the error code names; this only builds the message for an unknown one.
error_code read_error_code(const json::value& v, const path& at) {
    std::string_view s = json_read::as_string(v, at);
    error_code c = error_code_from_string(s);
    if (c != error_code::internal || s == to_string(error_code::internal))
        return c;
    std::string problem = "unknown error code " + json_read::quote(s) + " (expected ";
    for (int i = 0; i <= static_cast<int>(error_code::internal); ++i) {
        if (i > 0)
            problem += i == static_cast<int>(error_code::internal) ? " or " : ", ";
        problem += to_string(static_cast<error_code>(i));
    }
    problem += ')';
    json_read::fail(at, problem);
}

// ---- field readers -----------------------------------------------------------------------
// One overload per member type, so that each struct reads as a list of its fields.

void read(const json::value& v, const path& at, std::string& out) {
    out = json_read::as_string(v, at);
}
void read(const json::value& v, const path& at, json::object& out) {
    out = json_read::as_object(v, at);
}
void read(const json::value& v, const path& at, bool& out) {
    out = json_read::as_bool(v, at);
}
// The longest duration a workflow may ask for, a timeout or a retry delay: 30 days. A timer's
// deadline is now plus the duration in nanoseconds, and near INT64_MAX milliseconds it would
// wrap and fire at once (docs/events.md, "Workflows").
constexpr std::int64_t max_duration_ms = 30LL * 24 * 3600 * 1000;

void read(const json::value& v, const path& at, std::chrono::milliseconds& out) {
    out = std::chrono::milliseconds(json_read::as_integer(v, at, 0, max_duration_ms));
}
void read(const json::value& v, const path& at, std::int64_t& out) {
    out = json_read::as_integer(v, at, 0);
}
void read(const json::value& v, const path& at, priority& out) {
    out = priority_names.parse(v, at);
}
void read(const json::value& v, const path& at, task_state& out) {
    out = task_state_names.parse(v, at);
}
void read(const json::value& v, const path& at, backoff& out) {
    out = backoff_names.parse(v, at);
}
void read(const json::value& v, const path& at, failure_policy& out) {
    out = failure_policy_names.parse(v, at);
}
void read(const json::value& v, const path& at, workflow_state& out) {
    out = workflow_state_names.parse(v, at);
}
void read(const json::value& v, const path& at, error_code& out) {
    out = read_error_code(v, at);
}
void read(const json::value& v, const path& at, std::vector<std::string>& out) {
    const json::array& a = json_read::as_array(v, at);
    out.clear();
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        out.emplace_back(json_read::as_string(a[i], path(at, i)));
}

/// Reads `o[key]` into `out` if present; `out` keeps its default otherwise.
template <class T> void field(const json::object& o, std::string_view key, const path& at, T& out) {
    if (const json::value* f = o.if_contains(key))
        read(*f, path(at, key), out);
}

/// Reads `o[key]` into `out`, which must be present.
template <class T>
void required_field(const json::object& o, std::string_view key, const path& at, T& out) {
    read(json_read::required(o, key, at), path(at, key), out);
}

/// A duration given either as `<name>_ms` (integer milliseconds, the wire's form) or as
/// `<name>` (seconds, as workflow files write it: `timeout = 30`, `base_delay = 0.5`).
void duration_field(const json::object& o, std::string_view name, const path& at,
                    std::chrono::milliseconds& out) {
    const std::string ms_key = std::string(name) + "_ms";
    const json::value* seconds = o.if_contains(name);
    if (seconds && o.contains(ms_key))
        json_read::fail(path(at, name), "conflicts with " + ms_key + " (give only one)");
    if (seconds)
        out = std::chrono::milliseconds(static_cast<std::int64_t>(
            json_read::as_number(*seconds, path(at, name), 0, max_duration_ms / 1000.0) * 1000 +
            0.5));
    else
        field(o, ms_key, at, out);
}

// ---- struct readers, which carry the path of nested values ---------------------------------

retry_policy read_retry(const json::value& v, const path& at) {
    const json::object& o = json_read::as_object(v, at);
    retry_policy r;
    if (const json::value* f = o.if_contains("max_attempts"))
        r.max_attempts = static_cast<unsigned>(json_read::as_integer(
            *f, path(at, "max_attempts"), 1, std::numeric_limits<unsigned>::max()));
    field(o, "backoff", at, r.kind);
    duration_field(o, "base_delay", at, r.base_delay);
    duration_field(o, "max_delay", at, r.max_delay);
    if (const json::value* f = o.if_contains("jitter"))
        r.jitter = json_read::as_number(*f, path(at, "jitter"), 0, 1);
    return r;
}

task read_task(const json::value& v, const path& at) {
    const json::object& o = json_read::as_object(v, at);
    task t;
    required_field(o, "id", at, t.id);
    field(o, "workflow_id", at, t.workflow_id);
    field(o, "name", at, t.name);
    field(o, "protocol", at, t.protocol);
    field(o, "method", at, t.method);
    // The original Gleitzeit workflow files say "parameters"; both mean the same field.
    const json::value* params = o.if_contains("params");
    if (const json::value* alias = o.if_contains("parameters")) {
        if (params)
            json_read::fail(path(at, "parameters"), "conflicts with params (give only one)");
        read(*alias, path(at, "parameters"), t.params);
    } else if (params) {
        read(*params, path(at, "params"), t.params);
    }
    field(o, "dependencies", at, t.dependencies);
    field(o, "priority", at, t.priority);
    duration_field(o, "timeout", at, t.timeout);
    if (const json::value* f = o.if_contains("retry"))
        t.retry = read_retry(*f, path(at, "retry"));
    field(o, "state", at, t.state);
    if (const json::value* f = o.if_contains("attempt"))
        t.attempt = static_cast<unsigned>(json_read::as_integer(
            *f, path(at, "attempt"), 0, std::numeric_limits<unsigned>::max()));
    field(o, "due_ms", at, t.due_ms);
    field(o, "metadata", at, t.metadata);
    return t;
}

method_spec read_method_spec(const json::value& v, const path& at) {
    const json::object& o = json_read::as_object(v, at);
    method_spec m;
    required_field(o, "name", at, m.name);
    field(o, "description", at, m.description);
    field(o, "params", at, m.params);
    return m;
}

task_error read_task_error(const json::value& v, const path& at) {
    const json::object& o = json_read::as_object(v, at);
    task_error e;
    required_field(o, "code", at, e.code);
    required_field(o, "message", at, e.message);
    field(o, "retryable", at, e.retryable);
    return e;
}

/// Adds `key` to `o` and returns its value, made with `o`'s storage so that filling it in
/// place copies nothing afterwards.
json::value& add(json::object& o, std::string_view key) {
    return o.emplace(key, nullptr).first->value();
}

void write_strings(json::value& v, const std::vector<std::string>& strings) {
    json::array& a = v.emplace_array();
    a.reserve(strings.size());
    for (const std::string& s : strings)
        a.emplace_back(s);
}

} // namespace

// ---- to_string ----------------------------------------------------------------------------

std::string_view to_string(priority p) noexcept {
    return priority_names.name(p);
}
std::string_view to_string(task_state s) noexcept {
    return task_state_names.name(s);
}
std::string_view to_string(backoff b) noexcept {
    return backoff_names.name(b);
}
std::string_view to_string(failure_policy f) noexcept {
    return failure_policy_names.name(f);
}
std::string_view to_string(workflow_state s) noexcept {
    return workflow_state_names.name(s);
}

// ---- enums --------------------------------------------------------------------------------

void tag_invoke(json::value_from_tag, json::value& v, const priority& x) {
    v = to_string(x);
}
priority tag_invoke(json::value_to_tag<priority>, const json::value& v) {
    return priority_names.parse(v, path("priority"));
}

void tag_invoke(json::value_from_tag, json::value& v, const task_state& x) {
    v = to_string(x);
}
task_state tag_invoke(json::value_to_tag<task_state>, const json::value& v) {
    return task_state_names.parse(v, path("task_state"));
}

void tag_invoke(json::value_from_tag, json::value& v, const workflow_state& x) {
    v = to_string(x);
}
workflow_state tag_invoke(json::value_to_tag<workflow_state>, const json::value& v) {
    return workflow_state_names.parse(v, path("workflow_state"));
}

// ---- retry_policy, task, workflow ---------------------------------------------------------

void tag_invoke(json::value_from_tag, json::value& v, const retry_policy& x) {
    json::object& o = v.emplace_object();
    o.reserve(5);
    o.emplace("max_attempts", static_cast<std::int64_t>(x.max_attempts));
    o.emplace("backoff", to_string(x.kind));
    o.emplace("base_delay_ms", static_cast<std::int64_t>(x.base_delay.count()));
    o.emplace("max_delay_ms", static_cast<std::int64_t>(x.max_delay.count()));
    o.emplace("jitter", x.jitter);
}
retry_policy tag_invoke(json::value_to_tag<retry_policy>, const json::value& v) {
    return read_retry(v, path("retry"));
}

void tag_invoke(json::value_from_tag, json::value& v, const task& x) {
    json::object& o = v.emplace_object();
    o.reserve(14);
    o.emplace("id", x.id);
    o.emplace("workflow_id", x.workflow_id);
    o.emplace("name", x.name);
    o.emplace("protocol", x.protocol);
    o.emplace("method", x.method);
    o.emplace("params", x.params);
    write_strings(add(o, "dependencies"), x.dependencies);
    o.emplace("priority", to_string(x.priority));
    o.emplace("timeout_ms", static_cast<std::int64_t>(x.timeout.count()));
    tag_invoke(json::value_from_tag(), add(o, "retry"), x.retry);
    o.emplace("state", to_string(x.state));
    o.emplace("attempt", static_cast<std::int64_t>(x.attempt));
    o.emplace("due_ms", x.due_ms);
    if (!x.metadata.empty()) // most tasks have none: no key on the wire and in the database
        o.emplace("metadata", x.metadata);
}
task tag_invoke(json::value_to_tag<task>, const json::value& v) {
    return read_task(v, path("task"));
}

namespace {

/// A workflow's JSON, with its tasks or without them (what a store keeps beside the rows of
/// its tasks): one writer, so that both have every field.
void write_workflow(json::object& o, const workflow& x, bool with_tasks) {
    o.reserve(10);
    o.emplace("id", x.id);
    o.emplace("name", x.name);
    if (with_tasks) {
        json::array& tasks = add(o, "tasks").emplace_array();
        tasks.reserve(x.tasks.size());
        for (const task& t : x.tasks)
            tag_invoke(json::value_from_tag(), tasks.emplace_back(nullptr), t);
    }
    o.emplace("on_failure", to_string(x.on_failure));
    o.emplace("state", to_string(x.state));
    // Only what is set: most workflows have none of these.
    if (!x.description.empty())
        o.emplace("description", x.description);
    if (!x.version.empty())
        o.emplace("version", x.version);
    if (!x.metadata.empty())
        o.emplace("metadata", x.metadata);
    if (x.timeout.count() > 0)
        o.emplace("timeout_ms", static_cast<std::int64_t>(x.timeout.count()));
    if (x.deadline_ms > 0)
        o.emplace("deadline_ms", x.deadline_ms);
}

} // namespace

void tag_invoke(json::value_from_tag, json::value& v, const workflow& x) {
    write_workflow(v.emplace_object(), x, true);
}
json::object workflow_without_tasks(const workflow& w) {
    json::object o;
    write_workflow(o, w, false);
    return o;
}
workflow tag_invoke(json::value_to_tag<workflow>, const json::value& v) {
    // No field is required: a submitted workflow gets its id from the hub, and the resolver,
    // not the codec, refuses one without tasks.
    const path at("workflow");
    const json::object& o = json_read::as_object(v, at);
    workflow w;
    field(o, "id", at, w.id);
    field(o, "name", at, w.name);
    if (const json::value* f = o.if_contains("tasks")) {
        const path tasks_at(at, "tasks");
        const json::array& tasks = json_read::as_array(*f, tasks_at);
        w.tasks.reserve(tasks.size());
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            task& t = w.tasks.emplace_back(read_task(tasks[i], path(tasks_at, i)));
            // A task written inside its workflow need not repeat the workflow's id.
            if (t.workflow_id.empty())
                t.workflow_id = w.id;
        }
    }
    field(o, "on_failure", at, w.on_failure);
    field(o, "state", at, w.state);
    field(o, "description", at, w.description);
    field(o, "version", at, w.version);
    field(o, "metadata", at, w.metadata);
    duration_field(o, "timeout", at, w.timeout);
    field(o, "deadline_ms", at, w.deadline_ms);
    return w;
}

// ---- protocols ----------------------------------------------------------------------------

void tag_invoke(json::value_from_tag, json::value& v, const method_spec& x) {
    json::object& o = v.emplace_object();
    o.reserve(3);
    o.emplace("name", x.name);
    o.emplace("description", x.description);
    o.emplace("params", x.params);
}
method_spec tag_invoke(json::value_to_tag<method_spec>, const json::value& v) {
    return read_method_spec(v, path("method_spec"));
}

void tag_invoke(json::value_from_tag, json::value& v, const protocol_spec& x) {
    json::object& o = v.emplace_object();
    o.reserve(3);
    o.emplace("id", x.id);
    o.emplace("description", x.description);
    json::array& methods = add(o, "methods").emplace_array();
    methods.reserve(x.methods.size());
    for (const method_spec& m : x.methods)
        tag_invoke(json::value_from_tag(), methods.emplace_back(nullptr), m);
}
protocol_spec tag_invoke(json::value_to_tag<protocol_spec>, const json::value& v) {
    const path at("protocol_spec");
    const json::object& o = json_read::as_object(v, at);
    protocol_spec p;
    required_field(o, "id", at, p.id);
    field(o, "description", at, p.description);
    if (const json::value* f = o.if_contains("methods")) {
        const path methods_at(at, "methods");
        const json::array& methods = json_read::as_array(*f, methods_at);
        p.methods.reserve(methods.size());
        for (std::size_t i = 0; i < methods.size(); ++i)
            p.methods.push_back(read_method_spec(methods[i], path(methods_at, i)));
    }
    return p;
}

// ---- calls and results --------------------------------------------------------------------

void tag_invoke(json::value_from_tag, json::value& v, const method_call& x) {
    json::object& o = v.emplace_object();
    o.reserve(5);
    o.emplace("task_id", x.task_id);
    o.emplace("protocol", x.protocol);
    o.emplace("method", x.method);
    o.emplace("params", x.params);
    o.emplace("timeout_ms", static_cast<std::int64_t>(x.timeout.count()));
}
method_call tag_invoke(json::value_to_tag<method_call>, const json::value& v) {
    const path at("method_call");
    const json::object& o = json_read::as_object(v, at);
    method_call c;
    required_field(o, "task_id", at, c.task_id);
    required_field(o, "protocol", at, c.protocol);
    required_field(o, "method", at, c.method);
    field(o, "params", at, c.params);
    field(o, "timeout_ms", at, c.timeout);
    return c;
}

void tag_invoke(json::value_from_tag, json::value& v, const task_error& x) {
    json::object& o = v.emplace_object();
    o.reserve(3);
    o.emplace("code", to_string(x.code));
    o.emplace("message", x.message);
    o.emplace("retryable", x.retryable);
}
task_error tag_invoke(json::value_to_tag<task_error>, const json::value& v) {
    return read_task_error(v, path("task_error"));
}

void tag_invoke(json::value_from_tag, json::value& v, const task_result& x) {
    json::object& o = v.emplace_object();
    o.reserve(4);
    o.emplace("task_id", x.task_id);
    if (x.result)
        o.emplace("result", *x.result);
    if (x.error)
        tag_invoke(json::value_from_tag(), add(o, "error"), *x.error);
    o.emplace("provider", x.provider);
    o.emplace("duration_ms", x.duration_ms);
}
task_result tag_invoke(json::value_to_tag<task_result>, const json::value& v) {
    const path at("task_result");
    const json::object& o = json_read::as_object(v, at);
    task_result r;
    required_field(o, "task_id", at, r.task_id);
    // Exactly one of result and error. Some peers send the other one as null; a null result is
    // a result (a method may return null) unless an error comes with it.
    const json::value* error_field = o.if_contains("error");
    if (error_field && error_field->is_null())
        error_field = nullptr;
    const json::value* result_field = o.if_contains("result");
    if (result_field && result_field->is_null() && error_field)
        result_field = nullptr;
    if (result_field && error_field)
        json_read::fail(at, "has both result and error (expected one)");
    if (!result_field && !error_field)
        json_read::fail(at, "has neither result nor error (expected one)");
    if (result_field)
        r.result = *result_field;
    else
        r.error = read_task_error(*error_field, path(at, "error"));
    field(o, "provider", at, r.provider);
    if (const json::value* f = o.if_contains("duration_ms"))
        r.duration_ms = json_read::as_number(*f, path(at, "duration_ms"), 0,
                                             std::numeric_limits<double>::infinity());
    return r;
}

} // namespace gleitzeit
