#pragma once
// The protocol python/v1 as data and rules: its spec (what the registry checks params against
// at submit) and the checks provider-python makes itself before a call reaches a worker,
// because a call can reach a provider without passing a registry, and because some rules
// (one of code/file, the script dirs, the allowed modules) are beyond a schema.
//
// Every check throws gleitzeit::error(invalid_argument, "<method>: ..."): the call fails and
// is not retried, since the same params fail the same way next time.

#include "python_config.hpp"

#include "gleitzeit/types.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace gleitzeit::provider_python_detail {

/// python/v1 with its methods execute and call, and their parameter schemas.
protocol_spec python_spec();

/// What a worker is asked (worker.py, "request"), without the id the pool gives it.
struct worker_request {
    boost::json::object body;
    /// The call's deadline on a worker: params.timeout, else the hub's timeout of the call;
    /// the shorter of the two when both are given. Empty: none.
    std::optional<std::chrono::milliseconds> timeout;
};

/// Checks a call's params and builds its request. Throws as the header comment says; a
/// method other than execute and call is error(not_found).
worker_request make_request(const python_config& config, const method_call& call);

} // namespace gleitzeit::provider_python_detail
