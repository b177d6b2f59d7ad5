#pragma once
// The four methods of mcp/v1 that are not tools (tool_catalog.hpp lists them): their params,
// checked here too (a call can reach a provider without passing a registry), and the MCP
// request each one makes.
//
// Refusals are gleitzeit::error(invalid_argument, "<method>: params.<name> ..."), e.g.
// "resource.read: params.uri is missing".

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::provider_mcp_detail {

struct server_request {
    std::optional<std::string> server; // as the call named it; absent: the first that offers
    std::string capability;             // "resources" or "prompts", as in initialize
    std::string mcp_method;             // "resources/list", "resources/read", ...
    boost::json::object params;         // of the MCP request
    bool shape_contents = false;        // resources/read: shaped by shape_resource_contents
};

/// The request for `method`, or nullopt when `method` is not one of the four. `servers`: the
/// configured names, in order.
std::optional<server_request> read_server_method(std::string_view method,
                                                 const boost::json::object& params,
                                                 const std::vector<std::string>& servers);

} // namespace gleitzeit::provider_mcp_detail
