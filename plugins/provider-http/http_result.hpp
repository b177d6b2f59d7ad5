#pragma once
// What a `request` call returns: the response shaped as its result, or the task_error that a
// status outside 2xx, or a failure of the HTTP client, becomes.

#include "http_client.hpp"

#include "gleitzeit/types.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace gleitzeit::provider_http_detail {

/// {"status": n, "url": final URL, "headers": {lower-case name: value}, and one of
///  "json" (Content-Type application/json or */*+json, and the body parses),
///  "body" (the body as text, when it is UTF-8), "body_base64" (any other body)}.
/// Headers that repeat are joined with ", ", as HTTP allows for all but Set-Cookie (whose
/// values are joined the same way; parse them with care).
boost::json::object shape_result(const provider_io::http_response& r, const std::string& url);

/// Whether another attempt may get a better answer: 5xx, 408 and 429.
bool status_retryable(unsigned status) noexcept;

/// The failure for a status outside 2xx:
/// "HTTP 404 Not Found from GET http://host:port/path[: <start of the body>]". The URL is
/// shown without its query, which may carry keys.
task_error status_error(const provider_io::http_response& r, std::string_view method,
                        const std::string& url);

/// The failure for an error of the HTTP client: timeouts as error_code::timeout, a cancel as
/// cancelled, everything else as provider_error; the client's message and retryable flag.
task_error failure_error(const provider_io::http_error& e);

/// `url` up to its query or fragment, for messages.
std::string without_query(std::string_view url);

/// Whether `text` is valid UTF-8 (no overlong forms, no surrogates).
bool is_utf8(std::string_view text) noexcept;

} // namespace gleitzeit::provider_http_detail
