#pragma once
// Error codes shared by the host, plugins and remote components. On the wire an error is
// {"code": "<name>", "message": "..."} (docs/events.md).

#include <stdexcept>
#include <string>
#include <string_view>

namespace gleitzeit {

enum class error_code {
    invalid_argument,  // a request or payload that does not fit its schema
    invalid_workflow,  // a workflow refused whole (cycle, unknown dependency, ...)
    not_found,         // an id that nothing knows
    no_provider,       // no provider serves the protocol
    timeout,           // a call or a task took longer than allowed
    provider_error,    // a provider failed a call
    cancelled,         // the work was cancelled
    state_format,      // import_state was given a format it cannot read
    plugin_error,      // a plugin refused, threw or could not be loaded
    unauthorized,      // the connection's roles do not allow the request
    internal,          // a bug: the host's own invariant broke
    // Added last, so that plugins built against the codes above still read them the same.
    unavailable,          // the hub cannot take it now (stopping); try again later
    rate_limited,         // the token sent more than its [limits] allow; try again later
    unresolved_reference, // a ${...} reference named a path its task's result does not have
};

/// The wire name of a code, e.g. "invalid_workflow".
std::string_view to_string(error_code c) noexcept;
/// The code for a wire name; `internal` for a name nobody defined.
error_code error_code_from_string(std::string_view name) noexcept;

/// An error a plugin throws to refuse a call with a code the caller can act on. Anything
/// else a plugin throws is reported as `plugin_error` with its what().
class error : public std::runtime_error {
public:
    error(error_code code, const std::string& message);
    ~error() override;
    error_code code() const noexcept { return code_; }

private:
    error_code code_;
};

} // namespace gleitzeit
