#include "tool_catalog.hpp"

#include "mcp_config.hpp"
#include "tool_schema.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <set>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;

namespace {

json::object server_param(const std::vector<server_tools>& servers) {
    json::array names;
    for (const server_tools& s : servers)
        names.push_back(json::string(s.server));
    return {{"type", "string"},
            {"enum", std::move(names)},
            {"description", "the configured MCP server to ask; absent: the first one that "
                            "offers this (in config order)"}};
}

json::object string_param(bool required, const char* description) {
    json::object o{{"type", "string"}, {"description", description}};
    if (required)
        o["required"] = true;
    return o;
}

std::vector<method_spec> fixed_methods(const std::vector<server_tools>& servers) {
    const json::object server = server_param(servers);
    const json::object cursor =
        string_param(false, "the nextCursor of the previous page; absent: the first page");
    return {
        {"resources.list",
         "Lists one server's resources (resources/list), one page: {resources, nextCursor?}.",
         {{"server", server}, {"cursor", cursor}, {"additional", false}}},
        {"resource.read",
         "Reads a resource (resources/read): {contents, result?}; result is the text of a "
         "single text content, parsed when it is JSON.",
         {{"uri", string_param(true, "the resource's URI")},
          {"server", server},
          {"additional", false}}},
        {"prompts.list",
         "Lists one server's prompts (prompts/list), one page: {prompts, nextCursor?}.",
         {{"server", server}, {"cursor", cursor}, {"additional", false}}},
        {"prompt.get",
         "Gets a prompt with its arguments filled in (prompts/get): {description?, messages}.",
         {{"name", string_param(true, "the prompt's name")},
          {"arguments",
           json::object{{"type", "object"},
                        {"description", "the prompt's arguments, each a string"}}},
          {"server", server},
          {"additional", false}}},
    };
}

} // namespace

tool_catalog build_catalog(const std::vector<server_tools>& servers) {
    tool_catalog out;
    out.spec.id = protocol_id;
    out.spec.description = "Tools, resources and prompts of the configured MCP servers.";
    out.spec.methods = fixed_methods(servers);
    for (std::size_t i = 0; i < servers.size(); ++i) {
        if (!servers[i].tools)
            continue;
        const std::string& server = servers[i].server;
        std::set<std::string> seen;
        for (const tool_info& t : *servers[i].tools) {
            if (t.name.empty()) {
                out.warnings.push_back("server '" + server + "' lists a tool with an empty "
                                       "name; it is left out");
                continue;
            }
            if (!seen.insert(t.name).second) {
                out.warnings.push_back("server '" + server + "' lists tool '" + t.name +
                                       "' twice; the second is left out");
                continue;
            }
            std::string method = "tool." + t.name;
            if (auto taken = out.tools.find(method); taken != out.tools.end()) {
                const std::string& first = servers[taken->second.server].server;
                method = "tool." + server + "." + t.name;
                if (out.tools.contains(method)) {
                    out.warnings.push_back("tool '" + t.name + "' of server '" + server +
                                           "' has no free method name; it is left out");
                    continue;
                }
                out.warnings.push_back("tool '" + t.name + "' of server '" + server +
                                       "' is also a tool of server '" + first +
                                       "', which keeps tool." + t.name + "; this one is " +
                                       method);
            }
            out.tools.emplace(method, tool_route{i, t.name});
            std::string description = t.description.empty()
                                          ? "tool '" + t.name + "' of MCP server '" + server + "'"
                                          : t.description;
            out.spec.methods.push_back(
                {method, std::move(description), method_params(t.input_schema)});
        }
    }
    return out;
}

std::size_t read_tools(const json::value& result, std::vector<tool_info>& out) {
    std::size_t skipped = 0;
    const json::object* o = result.if_object();
    const json::value* tools = o ? o->if_contains("tools") : nullptr;
    if (!tools || !tools->is_array())
        return 1;
    for (const json::value& item : tools->get_array()) {
        const json::object* t = item.if_object();
        const json::value* name = t ? t->if_contains("name") : nullptr;
        if (!name || !name->is_string()) {
            ++skipped;
            continue;
        }
        tool_info info;
        info.name = std::string(name->get_string());
        if (const json::value* d = t->if_contains("description"); d && d->is_string())
            info.description = std::string(d->get_string());
        else if (const json::value* title = t->if_contains("title"); title && title->is_string())
            info.description = std::string(title->get_string());
        if (const json::value* s = t->if_contains("inputSchema"))
            info.input_schema = *s;
        out.push_back(std::move(info));
    }
    return skipped;
}

} // namespace gleitzeit::provider_mcp_detail
