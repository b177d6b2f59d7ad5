#include "tool_result.hpp"

#include <boost/json/parse.hpp>

#include <string>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;

namespace {

// A server that answers in a shape the spec does not have is broken: the same call would get
// the same answer, so the failure is not retryable.
call_outcome malformed(std::string message) {
    return {std::nullopt, task_error{error_code::provider_error, std::move(message), false}};
}

/// The "text" of a content item of type "text" (tools) or of a resource content (no type).
const json::string* text_of(const json::value& item, bool needs_type) {
    const json::object* o = item.if_object();
    if (!o)
        return nullptr;
    if (needs_type) {
        const json::value* type = o->if_contains("type");
        if (!type || !type->is_string() || type->get_string() != "text")
            return nullptr;
    }
    const json::value* text = o->if_contains("text");
    return text ? text->if_string() : nullptr;
}

std::string joined_texts(const json::array& content) {
    std::string out;
    for (const json::value& item : content)
        if (const json::string* t = text_of(item, true)) {
            if (!out.empty())
                out += '\n';
            out.append(t->data(), t->size());
        }
    return out;
}

} // namespace

json::value text_or_json(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (!ec)
        return v;
    return json::string(text);
}

call_outcome shape_tool_result(const json::value& answer, std::string_view server,
                               std::string_view tool) {
    const std::string who = "tool '" + std::string(tool) + "' of MCP server '" +
                            std::string(server) + "'";
    const json::object* o = answer.if_object();
    if (!o)
        return malformed(who + " answered with a result that is not an object");
    const json::value* content = o->if_contains("content");
    if (!content || !content->is_array())
        return malformed(who + " answered without a 'content' array");
    const json::value* is_error = o->if_contains("isError");
    if (is_error && is_error->is_bool() && is_error->get_bool()) {
        std::string text = joined_texts(content->get_array());
        if (text.empty())
            text = who + " failed without saying why";
        return {std::nullopt, task_error{error_code::provider_error, std::move(text), false}};
    }
    json::object out;
    out["content"] = *content;
    const json::array& items = content->get_array();
    if (items.size() == 1)
        if (const json::string* t = text_of(items[0], true))
            out["result"] = text_or_json(*t);
    if (const json::value* structured = o->if_contains("structuredContent"))
        out["structuredContent"] = *structured;
    return {json::value(std::move(out)), std::nullopt};
}

call_outcome shape_resource_contents(const json::value& answer, std::string_view server) {
    const std::string who = "MCP server '" + std::string(server) + "'";
    const json::object* o = answer.if_object();
    const json::value* contents = o ? o->if_contains("contents") : nullptr;
    if (!contents || !contents->is_array())
        return malformed(who + " answered resources/read without a 'contents' array");
    json::object out;
    out["contents"] = *contents;
    const json::array& items = contents->get_array();
    if (items.size() == 1)
        if (const json::string* t = text_of(items[0], false))
            out["result"] = text_or_json(*t);
    return {json::value(std::move(out)), std::nullopt};
}

} // namespace gleitzeit::provider_mcp_detail
