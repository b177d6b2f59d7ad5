#pragma once
// http/v1 as data and rules: the protocol spec (what the registry checks at submit) and the
// reading of a `request` call's params into the first request to send. The provider checks
// again what the schema cannot say (header values are strings, json and body exclusive),
// because a call can reach it without passing this registry.
//
// Every refusal throws gleitzeit::error(invalid_argument, "request: params.<name> ...").

#include "http_config.hpp"

#include "gleitzeit/types.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gleitzeit::provider_http_detail {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// One request to send: the first, or the next after a redirect.
struct hop {
    std::string method;
    std::string url; // with the query appended
    header_list headers;
    std::string body;
};

struct request_params {
    hop first;
    std::chrono::milliseconds timeout;
};

/// http/v1 with its method `request` and the params schema.
protocol_spec http_spec();

/// Reads a `request` call's params; `config` gives the default timeout and the User-Agent.
request_params read_request(const boost::json::object& params, const http_config& config);

/// `url` with `query`'s members appended as name=value pairs, percent-encoded, after a "?" or
/// "&" as the URL needs. Values: strings, numbers, booleans, or arrays of them (the name
/// repeated). Throws for other values, naming params.query.<name>.
std::string append_query(std::string url, const boost::json::object& query);

/// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string percent_encode(std::string_view text);

} // namespace gleitzeit::provider_http_detail
