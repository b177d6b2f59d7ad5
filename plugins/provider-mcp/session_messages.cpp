// server_session: what the server sends on its own (server_session.hpp): answers to our
// requests, its requests to us, and its notifications.

#include "server_session.hpp"

#include <boost/json/serialize.hpp>

#include <utility>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;

namespace {

// Enough of a log message to see what the server meant, not a megabyte of it.
constexpr std::size_t max_logged = 2000;

std::string clip(std::string s) {
    if (s.size() > max_logged) {
        s.resize(max_logged);
        s += "...";
    }
    return s;
}

log_level level_of(const json::value* level) {
    // The syslog levels of MCP's logging/setLevel, folded into the hub's four.
    const std::string_view l = (level && level->is_string()) ? std::string_view(level->get_string())
                                                              : std::string_view("info");
    if (l == "debug")
        return log_level::debug;
    if (l == "info" || l == "notice")
        return log_level::info;
    if (l == "warning")
        return log_level::warn;
    return log_level::error;
}

} // namespace

void server_session::on_message(jsonrpc::message m) {
    if (state_ == state::closed)
        return;
    switch (m.kind) {
    case jsonrpc::kind::result:
    case jsonrpc::kind::error:
        return on_answer(m);
    case jsonrpc::kind::request:
        return on_request(m);
    case jsonrpc::kind::notification:
        return on_notification(m);
    }
}

void server_session::on_answer(const jsonrpc::message& m) {
    const auto id = jsonrpc::integer_id(m.id);
    auto it = id ? requests_.find(*id) : requests_.end();
    if (it == requests_.end() || !it->second.sent) {
        // An answer after a cancel or a timeout, or to nothing we asked.
        log(log_level::debug, "server '" + name_ + "' answered request " +
                                  json::serialize(m.id) + ", which is not open");
        return;
    }
    if (m.kind == jsonrpc::kind::result)
        return finish(*id, {m.result, std::nullopt});
    // The server refused the request itself (unknown tool, invalid params): asking again
    // gets the same answer.
    finish(*id, {std::nullopt,
                 task_error{error_code::provider_error,
                            "MCP server '" + name_ + "': " + it->second.method + " failed: " +
                                jsonrpc::describe_error(m),
                            false}});
}

void server_session::on_request(const jsonrpc::message& m) {
    if (m.method == "ping") {
        transport_->send(jsonrpc::result(m.id, {}), std::nullopt, timing_.call_timeout);
        return;
    }
    // provider-mcp declares no client capabilities (roots, sampling, elicitation).
    transport_->send(jsonrpc::error(m.id, jsonrpc::method_not_found,
                                    "provider-mcp does not offer " + m.method),
                     std::nullopt, timing_.call_timeout);
}

void server_session::on_notification(const jsonrpc::message& m) {
    if (m.method == "notifications/progress") {
        const json::value* token = m.params.if_contains("progressToken");
        const auto id = token ? jsonrpc::integer_id(*token) : std::nullopt;
        auto it = id ? requests_.find(*id) : requests_.end();
        if (it == requests_.end() || it->second.task_id.empty() || !events_.progress)
            return;
        json::object p;
        for (const char* key : {"progress", "total", "message"})
            if (const json::value* v = m.params.if_contains(key))
                p[key] = *v;
        events_.progress(it->second.task_id, std::move(p));
        return;
    }
    if (m.method == "notifications/tools/list_changed") {
        // Before the start's listing there is nothing to redo; during one, it is redone.
        if (listing_)
            relist_ = true;
        else if (state_ == state::ready)
            list_tools(std::nullopt, {}, 0);
        return;
    }
    if (m.method == "notifications/message") {
        const json::value* data = m.params.if_contains("data");
        std::string text = !data ? "" : data->is_string() ? std::string(data->get_string())
                                                          : json::serialize(*data);
        log(level_of(m.params.if_contains("level")), "server '" + name_ + "': " + clip(text));
        return;
    }
    // Others (resources/list_changed, cancelled, ...) ask nothing of a client without
    // subscriptions.
}

} // namespace gleitzeit::provider_mcp_detail
