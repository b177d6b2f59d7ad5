#pragma once
// What a task gets from an MCP answer. A tools/call result
//   {"content": [...], "structuredContent"?: {...}, "isError"?: bool}
// becomes the task result
//   {"content": [...] as the server sent it,
//    "result": the text of the only content item when there is exactly one and it is text,
//              parsed as JSON when the whole text is JSON (absent otherwise),
//    "structuredContent": {...} when the server sent it}
// so a later task can say ${t.result.result} for the usual one-text answer. "isError": true
// fails the task instead: provider_error, not retryable (the tool ran and said no), the
// message being the text items joined by newlines.
//
// resources/read's {"contents": [...]} is shaped the same way ("contents" kept, "result" from
// a single item's "text"); other answers (resources/list, prompts/get, ...) are passed on as
// they are.

#include "gleitzeit/types.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string_view>

namespace gleitzeit::provider_mcp_detail {

struct call_outcome {
    std::optional<boost::json::value> result; // set on success
    std::optional<task_error> error;          // set on failure
};

/// `text` parsed as JSON when all of it is JSON, else `text` as a string.
boost::json::value text_or_json(std::string_view text);

/// A tools/call result of tool `tool` of server `server`, as the task's outcome.
call_outcome shape_tool_result(const boost::json::value& answer, std::string_view server,
                               std::string_view tool);

/// A resources/read result.
call_outcome shape_resource_contents(const boost::json::value& answer, std::string_view server);

} // namespace gleitzeit::provider_mcp_detail
