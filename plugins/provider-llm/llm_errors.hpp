#pragma once
// How a failed call is told to the hub: which error code, whether another attempt may
// succeed, and a message that names the endpoint and what happened. The table:
//
//   what happened                          code            retryable
//   connection refused, reset, no DNS      provider_error  yes  (the instance turns unhealthy)
//   connect_timeout                        timeout         yes  (the instance turns unhealthy)
//   first_byte_timeout, call timeout       timeout         yes
//   connection broke mid-answer            provider_error  yes
//   HTTP 5xx, 408, 429                     provider_error  yes
//   HTTP 404 model not found               provider_error  no
//   other HTTP 4xx                         provider_error  no
//   answer over max_body                   provider_error  no
//   answer not JSON, or not the API shape  provider_error  no
//   an error record inside a stream        provider_error  yes
//   TLS failure, refused address, bad URL  provider_error  no
//   cancelled                              cancelled       no

#include "llm_config.hpp"

#include "http_client.hpp"

#include "gleitzeit/types.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace gleitzeit::provider_llm_detail {

/// A call the HTTP client could not complete. `endpoint` is the URL called; `total` the
/// whole-call limit that applied.
task_error from_http_failure(const provider_io::http_error& e, const std::string& endpoint,
                             const llm_config& config, std::chrono::milliseconds total);

/// An answer with a status outside 2xx; `body` is (the start of) what came with it.
task_error from_status(unsigned status, std::string_view body, const std::string& endpoint,
                       const std::string& model);

/// A 2xx answer that is not JSON; `body` as above.
task_error not_json(std::string_view body, const std::string& endpoint);

/// Failures that say the server is not there: they turn the instance unhealthy.
bool is_connection_failure(provider_io::http_failure f) noexcept;

/// True for the 404 of a route the server does not have (Go's "404 page not found"), as
/// opposed to the JSON 404 of a model it does not have: /api/embed on an Ollama before 0.3.
bool is_missing_route(unsigned status, std::string_view body);

/// The message of an error body: Ollama's {"error": "..."}, OpenAI's {"error": {"message":
/// "..."}}, else the text itself; clipped, control characters replaced by spaces.
std::string error_text(std::string_view body);

/// At most `n` bytes of `text` for a message, with control characters as spaces and "..."
/// when cut (never inside a UTF-8 sequence).
std::string clip(std::string_view text, std::size_t n = 200);

} // namespace gleitzeit::provider_llm_detail
