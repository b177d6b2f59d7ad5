#pragma once
// The protocol echo/v1 as data and rules: its spec (what the registry validates against) and
// the checks provider-echo makes itself, because a call can reach a provider without passing a
// registry (a remote registry, or a spec that allows more than this code reads).
//
// Every check throws gleitzeit::error(invalid_argument, message); the provider turns that into
// a failed call that is not retryable, since the same params fail the same way next time.

#include "gleitzeit/types.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace gleitzeit::provider_echo_detail {

inline constexpr const char* plugin_name = "provider-echo";
inline constexpr const char* protocol_id = "echo/v1";

inline constexpr std::int64_t max_delay_ms = 600000; // ten minutes
inline constexpr std::int64_t default_max_concurrency = 64;
inline constexpr std::int64_t max_max_concurrency = 100000;

/// echo/v1 with its three methods and their parameter schemas.
protocol_spec echo_spec();

/// The config table: max_concurrency (integer 1..100000, default 64), nothing else.
std::size_t read_max_concurrency(const boost::json::object& config);

/// delay's params: {"ms": integer 0..600000}. Returns ms.
std::int64_t read_delay(const boost::json::object& params);

/// fail's params: {"message": string, "retryable": boolean = true}. Returns the error the call
/// fails with (code provider_error).
task_error read_fail(const boost::json::object& params);

} // namespace gleitzeit::provider_echo_detail
