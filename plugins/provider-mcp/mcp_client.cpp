#include "mcp_client.hpp"

#include "http_transport.hpp"
#include "server_methods.hpp"
#include "stdio_transport.hpp"
#include "tool_result.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <set>
#include <utility>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;
namespace asio = boost::asio;
using steady_clock = std::chrono::steady_clock;

namespace {

const task_error stopped_error{error_code::cancelled, "provider-mcp is stopped", false};

} // namespace

mcp_client::mcp_client(asio::io_context& io, mcp_config config, host_bridge bridge)
    : io_(io), config_(std::move(config)), bridge_(std::move(bridge)) {
    for (const server_config& s : config_.servers)
        server_names_.push_back(s.name);
}

mcp_client::~mcp_client() = default;

void mcp_client::start() {
    const session_timing timing{config_.call_timeout, config_.restart_initial,
                                config_.restart_max};
    for (const server_config& s : config_.servers) {
        std::unique_ptr<transport> t;
        if (s.transport == transport_kind::stdio)
            t = std::make_unique<stdio_transport>(io_, s);
        else
            t = std::make_unique<http_transport>(io_, s, config_.restart_max);
        std::weak_ptr<mcp_client> weak = weak_from_this();
        session_events events;
        events.tools_changed = [weak] {
            if (auto self = weak.lock())
                self->on_tools_changed();
        };
        events.state_changed = [weak] {
            if (auto self = weak.lock())
                self->on_state_changed();
        };
        events.progress = [weak](const std::string& task_id, json::object p) {
            auto self = weak.lock();
            if (!self || !self->bridge_.emit)
                return;
            // The hub's contract: task_id exactly as the call carried it, then our fields.
            json::object payload{{"task_id", task_id}};
            for (auto& kv : p)
                payload.emplace(kv.key(), std::move(kv.value()));
            self->bridge_.emit("task_progress", std::move(payload));
        };
        events.log = [weak](log_level level, const std::string& message) {
            if (auto self = weak.lock(); self && self->bridge_.log)
                self->bridge_.log(level, message);
        };
        sessions_.push_back(
            std::make_shared<server_session>(io_, s.name, std::move(t), timing, std::move(events)));
    }
    for (auto& session : sessions_) {
        session->bind();
        session->start();
    }
}

void mcp_client::stop() {
    stopped_ = true;
    for (auto& session : sessions_)
        session->stop(stopped_error);
    std::map<std::uint64_t, unrouted> parked;
    parked.swap(parked_);
    for (auto& [serial, u] : parked) {
        u.timer->cancel();
        deliver(u.done, u.call.task_id, u.started, {std::nullopt, stopped_error});
    }
}

void mcp_client::cancel(const std::string& task_id) {
    for (auto& session : sessions_)
        session->cancel(task_id);
    for (auto it = parked_.begin(); it != parked_.end();) {
        if (it->second.call.task_id != task_id) {
            ++it;
            continue;
        }
        unrouted u = std::move(it->second);
        it = parked_.erase(it);
        u.timer->cancel();
        deliver(u.done, u.call.task_id, u.started,
                {std::nullopt, task_error{error_code::cancelled, "cancelled", false}});
    }
}

std::vector<protocol_spec> mcp_client::protocols() const {
    std::lock_guard lock(published_mutex_);
    if (!published_)
        return {};
    return {*published_};
}

void mcp_client::execute(method_call call, provider::done_fn done) {
    const auto started = steady_clock::now();
    ++calls_total_;
    ++running_;
    if (bridge_.metric)
        bridge_.metric("calls_total", static_cast<double>(calls_total_));
    publish_running();
    if (stopped_)
        return deliver(done, call.task_id, started, {std::nullopt, stopped_error});
    if (call.protocol != protocol_id)
        return deliver(done, call.task_id, started,
                       {std::nullopt, task_error{error_code::not_found,
                                                 "provider-mcp does not serve protocol '" +
                                                     call.protocol + "'",
                                                 false}});
    dispatch(std::move(call), std::move(done), started);
}

void mcp_client::dispatch(method_call call, provider::done_fn done,
                          steady_clock::time_point started) {
    try {
        if (!call.method.starts_with("tool."))
            return call_server(call, done, started);
        if (call_tool(call, done, started))
            return;
        if (!all_settled())
            return park(std::move(call), std::move(done), started);
        throw error(error_code::not_found,
                    std::string(protocol_id) + " has no method '" + call.method + "'");
    } catch (const error& e) {
        // Bad params or an unknown method fail the same way on every attempt.
        deliver(done, call.task_id, started, {std::nullopt, task_error{e.code(), e.what(), false}});
    }
}

bool mcp_client::call_tool(method_call& call, provider::done_fn& done,
                           steady_clock::time_point started) {
    auto route = catalog_.tools.find(call.method);
    if (route == catalog_.tools.end())
        return false;
    const std::size_t index = route->second.server;
    std::string tool = route->second.tool;
    json::object params{{"name", tool}, {"arguments", std::move(call.params)}};
    auto reply = [self = shared_from_this(), done = std::move(done), task_id = call.task_id,
                  started, server = server_names_[index],
                  tool](call_outcome o) mutable {
        if (o.result)
            o = shape_tool_result(*o.result, server, tool);
        self->deliver(done, task_id, started, std::move(o));
    };
    sessions_[index]->call(call.task_id, "tools/call", std::move(params),
                           remaining(call, started), true, std::move(reply));
    return true;
}

void mcp_client::call_server(method_call& call, provider::done_fn& done,
                             steady_clock::time_point started) {
    auto request = read_server_method(call.method, call.params, server_names_);
    if (!request)
        throw error(error_code::not_found,
                    std::string(protocol_id) + " has no method '" + call.method + "'");
    std::shared_ptr<server_session> session;
    for (std::size_t i = 0; i < sessions_.size() && !session; ++i) {
        const bool named = request->server && *request->server == server_names_[i];
        if (named || (!request->server && sessions_[i]->may_offer(request->capability)))
            session = sessions_[i];
    }
    if (!session)
        throw error(error_code::not_found,
                    "no configured MCP server offers " + request->capability);
    auto reply = [self = shared_from_this(), done = std::move(done), task_id = call.task_id,
                  started, server = session->name(),
                  shape = request->shape_contents](call_outcome o) mutable {
        if (o.result && shape)
            o = shape_resource_contents(*o.result, server);
        self->deliver(done, task_id, started, std::move(o));
    };
    session->call(call.task_id, request->mcp_method, std::move(request->params),
                  remaining(call, started), false, std::move(reply));
}

void mcp_client::park(method_call call, provider::done_fn done,
                      steady_clock::time_point started) {
    const std::uint64_t serial = ++next_parked_;
    auto timer = std::make_unique<asio::steady_timer>(io_, remaining(call, started));
    timer->async_wait([weak = weak_from_this(), serial](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec)
            self->on_parked_timeout(serial);
    });
    parked_.emplace(serial, unrouted{std::move(call), std::move(done), started, std::move(timer)});
}

void mcp_client::on_parked_timeout(std::uint64_t serial) {
    auto it = parked_.find(serial);
    if (it == parked_.end())
        return;
    unrouted u = std::move(it->second);
    parked_.erase(it);
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        steady_clock::now() - u.started);
    deliver(u.done, u.call.task_id, u.started,
            {std::nullopt, task_error{error_code::timeout,
                                      "no MCP server listed a tool for '" + u.call.method +
                                          "' within " + std::to_string(waited.count()) + " ms",
                                      true}});
}

void mcp_client::route_parked() {
    if (parked_.empty() || stopped_)
        return;
    std::map<std::uint64_t, unrouted> parked;
    parked.swap(parked_);
    for (auto& [serial, u] : parked) {
        u.timer->cancel();
        dispatch(std::move(u.call), std::move(u.done), u.started);
    }
}

void mcp_client::on_tools_changed() {
    if (stopped_)
        return;
    std::vector<server_tools> servers;
    for (const auto& s : sessions_)
        servers.push_back({s->name(), s->tools()});
    tool_catalog next = build_catalog(servers);
    const std::set<std::string> known(catalog_.warnings.begin(), catalog_.warnings.end());
    for (const std::string& w : next.warnings)
        if (!known.contains(w) && bridge_.log)
            bridge_.log(log_level::warn, w);
    catalog_ = std::move(next);
    on_state_changed();
}

void mcp_client::on_state_changed() {
    if (stopped_)
        return;
    publish();
    route_parked();
}

void mcp_client::publish() {
    bool changed;
    {
        std::lock_guard lock(published_mutex_);
        // The first list waits for every server's first start: published server by server, it
        // would have the registry refuse the tools of the slower ones for a moment, which in a
        // hot swap means tools the old generation still serves.
        if (!published_ && !all_settled())
            return;
        changed = !published_ || json::serialize(json::value_from(*published_)) !=
                                     json::serialize(json::value_from(catalog_.spec));
        if (changed)
            published_ = catalog_.spec;
    }
    if (!changed)
        return;
    if (bridge_.log)
        bridge_.log(log_level::info, std::string(protocol_id) + " now has " +
                                         std::to_string(catalog_.tools.size()) + " tools");
    if (bridge_.emit)
        bridge_.emit("protocols_changed", {});
}

bool mcp_client::all_settled() const {
    return std::all_of(sessions_.begin(), sessions_.end(),
                       [](const auto& s) { return s->settled(); });
}

std::chrono::milliseconds mcp_client::timeout_of(const method_call& call) const {
    if (call.timeout.count() <= 0)
        return config_.call_timeout;
    return std::min(call.timeout, config_.call_timeout);
}

std::chrono::milliseconds mcp_client::remaining(const method_call& call,
                                                steady_clock::time_point started) const {
    const auto spent =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - started);
    // At least a moment: a call that waited its whole time still gets asked once.
    return std::max(timeout_of(call) - spent, std::chrono::milliseconds(1));
}

void mcp_client::deliver(provider::done_fn& done, const std::string& task_id,
                         steady_clock::time_point started, call_outcome outcome) {
    task_result r;
    r.task_id = task_id;
    r.result = std::move(outcome.result);
    r.error = std::move(outcome.error);
    r.provider = plugin_name;
    r.duration_ms =
        std::chrono::duration<double, std::milli>(steady_clock::now() - started).count();
    if (running_ > 0)
        --running_;
    publish_running();
    provider::done_fn run = std::move(done);
    run(std::move(r));
}

void mcp_client::publish_running() {
    if (bridge_.metric)
        bridge_.metric("running", static_cast<double>(running_));
}

} // namespace gleitzeit::provider_mcp_detail
