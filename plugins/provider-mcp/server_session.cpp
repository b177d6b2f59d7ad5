// server_session: the requests and the lifecycle (server_session.hpp). The server's own
// messages are read in session_messages.cpp.

#include "server_session.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;
namespace asio = boost::asio;
using steady_clock = std::chrono::steady_clock;

bool supported_protocol_version(std::string_view v) {
    // The revisions whose messages provider-mcp reads alike: tools/call, progress and
    // cancellation are the same in each.
    constexpr std::array<std::string_view, 3> known{"2025-06-18", "2025-03-26", "2024-11-05"};
    return std::find(known.begin(), known.end(), v) != known.end();
}

server_session::server_session(asio::io_context& io, std::string name,
                               std::unique_ptr<transport> t, session_timing timing,
                               session_events events)
    : io_(io), name_(std::move(name)), transport_(std::move(t)), timing_(timing),
      events_(std::move(events)), backoff_(timing.restart_initial), restart_timer_(io) {}

server_session::~server_session() = default;

void server_session::bind() {
    // The transport belongs to this session and stops calling its handlers in close(), which
    // stop() calls before the session can go away; so the handlers may hold `this`.
    transport_handlers h;
    h.message = [this](jsonrpc::message m) { on_message(std::move(m)); };
    h.down = [this](const std::string& why) { on_down(why); };
    h.request_failed = [this](std::int64_t id, task_error e) {
        if (requests_.contains(id))
            finish(id, {std::nullopt, std::move(e)});
    };
    h.log = [this](log_level level, const std::string& message) { log(level, message); };
    transport_->set_handlers(std::move(h));
}

void server_session::start() {
    if (state_ == state::closed)
        return;
    state_ = state::starting;
    try {
        transport_->open();
    } catch (const std::exception& e) {
        // child_process says what failed and names the program ("cannot start ...").
        on_down(e.what());
        return;
    }
    json::object params{
        {"protocolVersion", mcp_protocol_version},
        {"capabilities", json::object{}},
        {"clientInfo", json::object{{"name", "gleitzeit-provider-mcp"}, {"version", "1.0.0"}}}};
    const auto id = open_request({}, "initialize", std::move(params), lifecycle_timeout(),
                                 [this](call_outcome o) { on_initialized(o); });
    send(id);
}

void server_session::stop(const task_error& why) {
    if (state_ == state::closed)
        return;
    state_ = state::closed;
    restart_timer_.cancel();
    transport_->close();
    std::map<std::int64_t, request> open;
    open.swap(requests_);
    open_calls_ = 0;
    for (auto& [id, r] : open) {
        if (r.timer)
            r.timer->cancel();
        if (!r.task_id.empty())
            r.reply({std::nullopt, why});
    }
}

void server_session::call(const std::string& task_id, const std::string& method,
                          json::object params, std::chrono::milliseconds timeout,
                          bool with_progress, reply_fn reply) {
    if (state_ == state::closed) {
        // Never inside call(): the caller may be in the middle of its own bookkeeping.
        asio::post(io_, [reply = std::move(reply)] {
            reply({std::nullopt, task_error{error_code::cancelled, "provider-mcp is stopped",
                                            false}});
        });
        return;
    }
    const std::int64_t id = next_id_ + 1;
    if (with_progress) {
        // The request's own id is the token: unique in this session, and it finds the call.
        json::object meta;
        if (json::value* m = params.if_contains("_meta"); m && m->is_object())
            meta = m->get_object();
        meta["progressToken"] = id;
        params["_meta"] = std::move(meta);
    }
    open_request(task_id, method, std::move(params), timeout, std::move(reply));
    ++open_calls_;
    if (state_ == state::ready)
        send(id);
}

void server_session::cancel(const std::string& task_id) {
    std::vector<std::int64_t> ids;
    for (const auto& [id, r] : requests_)
        if (r.task_id == task_id)
            ids.push_back(id);
    for (std::int64_t id : ids) {
        if (requests_.at(id).sent) {
            transport_->send(jsonrpc::notification("notifications/cancelled",
                                                   json::object{{"requestId", id},
                                                                {"reason", "cancelled"}}),
                             std::nullopt, timing_.call_timeout);
            transport_->abandon(id);
        }
        finish(id, {std::nullopt, task_error{error_code::cancelled, "cancelled", false}});
    }
}

bool server_session::may_offer(std::string_view capability) const {
    return !capabilities_ || capabilities_->contains(capability);
}

std::int64_t server_session::open_request(std::string task_id, std::string method,
                                          json::object params, std::chrono::milliseconds timeout,
                                          reply_fn reply) {
    const std::int64_t id = ++next_id_;
    request r{std::move(task_id), std::move(method), std::move(params), timeout, false,
              std::make_unique<asio::steady_timer>(io_, timeout), std::move(reply)};
    r.timer->async_wait([weak = weak_from_this(), id](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec)
            self->on_timeout(id);
    });
    requests_.emplace(id, std::move(r));
    return id;
}

void server_session::send(std::int64_t id) {
    request& r = requests_.at(id);
    r.sent = true;
    transport_->send(jsonrpc::request(id, r.method, r.params), id, r.timeout);
}

void server_session::finish(std::int64_t id, call_outcome outcome) {
    auto it = requests_.find(id);
    if (it == requests_.end())
        return;
    request r = std::move(it->second);
    requests_.erase(it);
    if (r.timer)
        r.timer->cancel();
    if (!r.task_id.empty())
        --open_calls_;
    r.reply(std::move(outcome));
}

void server_session::on_timeout(std::int64_t id) {
    auto it = requests_.find(id);
    if (it == requests_.end())
        return;
    const request& r = it->second;
    const std::string within = " within " + std::to_string(r.timeout.count()) + " ms";
    const std::string what =
        r.sent ? "MCP server '" + name_ + "' did not answer " + r.method + within
               : "MCP server '" + name_ + "' was not ready to take " + r.method + within;
    // The spec forbids cancelling initialize; its timeout ends the start instead.
    if (r.sent && r.method != "initialize") {
        transport_->send(jsonrpc::notification("notifications/cancelled",
                                               json::object{{"requestId", id},
                                                            {"reason", "timed out"}}),
                         std::nullopt, timing_.call_timeout);
        transport_->abandon(id);
    }
    finish(id, {std::nullopt, task_error{error_code::timeout, what, true}});
}

void server_session::on_initialized(const call_outcome& outcome) {
    if (outcome.error)
        return on_down("initialize failed: " + outcome.error->message);
    const json::object* result = outcome.result ? outcome.result->if_object() : nullptr;
    const json::value* version = result ? result->if_contains("protocolVersion") : nullptr;
    if (!version || !version->is_string())
        return on_down("initialize answered without a protocolVersion");
    const std::string v(version->get_string());
    if (!supported_protocol_version(v))
        return on_down("the server speaks MCP " + v + "; provider-mcp speaks 2025-06-18, "
                       "2025-03-26 and 2024-11-05");
    capabilities_ = json::object{};
    if (const json::value* c = result->if_contains("capabilities"); c && c->is_object())
        capabilities_ = c->get_object();
    std::string who;
    if (const json::value* info = result->if_contains("serverInfo"); info && info->is_object())
        if (const json::value* n = info->get_object().if_contains("name"); n && n->is_string())
            who = " (" + std::string(n->get_string()) + ")";
    log(log_level::info, "server '" + name_ + "'" + who + " initialized, MCP " + v);
    transport_->send(jsonrpc::notification("notifications/initialized"), std::nullopt,
                     timing_.call_timeout);
    transport_->initialized(v);
    if (capabilities_->contains("tools"))
        return list_tools(std::nullopt, {}, 0);
    tools_.clear();
    listed_ = true;
    // The catalog first: become_ready() lets waiting calls be routed, and they need it.
    if (events_.tools_changed)
        events_.tools_changed();
    become_ready();
}

void server_session::list_tools(std::optional<std::string> cursor, std::vector<tool_info> so_far,
                                std::size_t page) {
    listing_ = true;
    std::optional<json::object> params;
    if (cursor)
        params = json::object{{"cursor", *cursor}};
    const auto id = open_request(
        {}, "tools/list", params.value_or(json::object{}), lifecycle_timeout(),
        [this, so_far = std::move(so_far), page](call_outcome o) mutable {
            on_tools_page(std::move(o), std::move(so_far), page);
        });
    send(id);
}

void server_session::on_tools_page(call_outcome outcome, std::vector<tool_info> so_far,
                                   std::size_t page) {
    if (outcome.error) {
        // The tools the server had before stay; a first listing that fails leaves none.
        log(log_level::warn, "server '" + name_ + "': tools/list failed: " +
                                 outcome.error->message);
    } else {
        const std::size_t skipped = read_tools(*outcome.result, so_far);
        if (skipped)
            log(log_level::warn, "server '" + name_ + "': tools/list page " +
                                     std::to_string(page + 1) + " had " +
                                     std::to_string(skipped) + " items that are not tools");
        const json::object* o = outcome.result->if_object();
        const json::value* next = o ? o->if_contains("nextCursor") : nullptr;
        if (next && next->is_string() && !next->get_string().empty()) {
            if (page + 1 < max_tool_pages)
                return list_tools(std::string(next->get_string()), std::move(so_far), page + 1);
            log(log_level::warn, "server '" + name_ + "': tools/list has more than " +
                                     std::to_string(max_tool_pages) + " pages; the rest is "
                                     "left out");
        }
        tools_ = std::move(so_far);
        listed_ = true;
    }
    listing_ = false;
    if (events_.tools_changed)
        events_.tools_changed();
    if (state_ == state::starting)
        become_ready();
    if (relist_ && state_ == state::ready) {
        relist_ = false;
        list_tools(std::nullopt, {}, 0);
    }
}

void server_session::become_ready() {
    state_ = state::ready;
    settled_ = true;
    ready_since_ = steady_clock::now();
    for (auto& [id, r] : requests_)
        if (!r.sent)
            send(id);
    if (events_.state_changed)
        events_.state_changed();
}

void server_session::on_down(const std::string& why) {
    if (state_ == state::closed || state_ == state::backoff)
        return;
    const bool was_ready = state_ == state::ready;
    transport_->close();
    state_ = state::backoff;
    settled_ = true;
    listing_ = false;
    relist_ = false;
    if (was_ready && steady_clock::now() - ready_since_ >= stable_after)
        backoff_ = timing_.restart_initial;
    log(log_level::warn, "server '" + name_ + "' is down: " + why + "; restarting in " +
                             std::to_string(backoff_.count()) + " ms");
    schedule_restart();
    std::map<std::int64_t, request> open;
    open.swap(requests_);
    open_calls_ = 0;
    const task_error lost{error_code::provider_error,
                          "MCP server '" + name_ + "' went away: " + why, true};
    for (auto& [id, r] : open) {
        if (r.timer)
            r.timer->cancel();
        if (!r.task_id.empty())
            r.reply({std::nullopt, lost});
    }
    if (events_.state_changed)
        events_.state_changed();
}

void server_session::schedule_restart() {
    restart_timer_.expires_after(backoff_);
    restart_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec && self->state_ == state::backoff)
            self->start();
    });
    backoff_ = std::min(backoff_ * 2, timing_.restart_max);
}

void server_session::log(log_level level, const std::string& message) {
    if (events_.log)
        events_.log(level, message);
}

std::chrono::milliseconds server_session::lifecycle_timeout() const {
    return std::min(timing_.call_timeout, max_lifecycle_timeout);
}

} // namespace gleitzeit::provider_mcp_detail
