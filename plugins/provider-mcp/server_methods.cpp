#include "server_methods.hpp"

#include "gleitzeit/error.hpp"
#include "json_reading.hpp"

#include <algorithm>
#include <initializer_list>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;

namespace {

[[noreturn]] void refuse(std::string_view method, const std::string& why) {
    throw error(error_code::invalid_argument, std::string(method) + ": " + why);
}


void refuse_unknown(std::string_view method, const json::object& params,
                    std::initializer_list<std::string_view> known) {
    for (const auto& kv : params)
        if (std::find(known.begin(), known.end(), kv.key()) == known.end())
            refuse(method, "unknown param '" + std::string(kv.key()) + "'");
}

std::optional<std::string> string_param(std::string_view method, const json::object& params,
                                        std::string_view name, bool required) {
    const json::value* v = params.if_contains(name);
    if (!v) {
        if (required)
            refuse(method, "params." + std::string(name) + " is missing");
        return std::nullopt;
    }
    if (!v->is_string())
        refuse(method, "params." + std::string(name) + " must be a string, got " + json_reading::kind_of(*v));
    return std::string(v->get_string());
}

std::optional<std::string> server_param(std::string_view method, const json::object& params,
                                        const std::vector<std::string>& servers) {
    auto server = string_param(method, params, "server", false);
    if (server && std::find(servers.begin(), servers.end(), *server) == servers.end()) {
        std::string known;
        for (const std::string& s : servers)
            known += (known.empty() ? "" : ", ") + s;
        refuse(method, "params.server: no configured MCP server '" + *server + "' (configured: " +
                           known + ")");
    }
    return server;
}

json::object arguments_param(std::string_view method, const json::object& params) {
    const json::value* v = params.if_contains("arguments");
    if (!v)
        return {};
    if (!v->is_object())
        refuse(method, "params.arguments must be an object, got " + json_reading::kind_of(*v));
    // MCP's prompt arguments are strings (PromptArgument, GetPromptRequest).
    for (const auto& kv : v->get_object())
        if (!kv.value().is_string())
            refuse(method, "params.arguments." + std::string(kv.key()) +
                               " must be a string, got " + json_reading::kind_of(kv.value()));
    return v->get_object();
}

server_request list_request(std::string_view method, const json::object& params,
                            const std::vector<std::string>& servers, const char* capability,
                            const char* mcp_method) {
    refuse_unknown(method, params, {"server", "cursor"});
    server_request r{server_param(method, params, servers), capability, mcp_method, {}, false};
    if (auto cursor = string_param(method, params, "cursor", false))
        r.params["cursor"] = *cursor;
    return r;
}

} // namespace

std::optional<server_request> read_server_method(std::string_view method,
                                                 const json::object& params,
                                                 const std::vector<std::string>& servers) {
    if (method == "resources.list")
        return list_request(method, params, servers, "resources", "resources/list");
    if (method == "prompts.list")
        return list_request(method, params, servers, "prompts", "prompts/list");
    if (method == "resource.read") {
        refuse_unknown(method, params, {"uri", "server"});
        server_request r{server_param(method, params, servers), "resources", "resources/read",
                         {}, true};
        r.params["uri"] = *string_param(method, params, "uri", true);
        return r;
    }
    if (method == "prompt.get") {
        refuse_unknown(method, params, {"name", "arguments", "server"});
        server_request r{server_param(method, params, servers), "prompts", "prompts/get", {},
                         false};
        r.params["name"] = *string_param(method, params, "name", true);
        if (params.contains("arguments"))
            r.params["arguments"] = arguments_param(method, params);
        return r;
    }
    return std::nullopt;
}

} // namespace gleitzeit::provider_mcp_detail
