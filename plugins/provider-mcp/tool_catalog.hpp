#pragma once
// The methods of mcp/v1 as the servers' tool lists make them, and where each one goes.
//
// Every tool becomes method "tool.<name>" with the tool's inputSchema converted
// (tool_schema.hpp) as its params. Servers are taken in config order: when two servers list a
// tool of the same name, the first keeps "tool.<name>" and the later one's is method
// "tool.<server>.<name>" (a warning says so), so no tool is hidden and a method's meaning does
// not depend on which server answered first. A tool with an empty name, or listed twice by one
// server, is left out with a warning.
//
// Four methods are always there, for servers' resources and prompts:
//   resources.list {server?, cursor?}, resource.read {uri, server?},
//   prompts.list {server?, cursor?},   prompt.get {name, arguments?, server?}
// where `server` is one of the configured names.

#include "gleitzeit/types.hpp"

#include <boost/json/value.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace gleitzeit::provider_mcp_detail {

struct tool_info {
    std::string name;
    std::string description;
    boost::json::value input_schema;
};

/// One server's part of the catalog: its name and the tools of its last listing.
struct server_tools {
    std::string server;
    const std::vector<tool_info>* tools = nullptr; // null: not listed yet
};

struct tool_route {
    std::size_t server = 0; // index into the servers, as configured
    std::string tool;       // the name the server knows it by
};

struct tool_catalog {
    protocol_spec spec;                      // mcp/v1 with every method
    std::map<std::string, tool_route> tools; // "tool.<...>" method -> its server and tool
    std::vector<std::string> warnings;       // for the log
};

/// The catalog for these servers (in config order).
tool_catalog build_catalog(const std::vector<server_tools>& servers);

/// The tools of a tools/list result, appended to `out`. Items that are not a tool object
/// with a string name are skipped and counted in the return value.
std::size_t read_tools(const boost::json::value& result, std::vector<tool_info>& out);

} // namespace gleitzeit::provider_mcp_detail
