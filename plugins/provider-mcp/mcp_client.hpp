#pragma once
// The io-thread side of provider-mcp: one server_session per configured server, the tool
// catalog built from their listings, and the routing of each method call to a session.
// Everything but protocols() runs on the provider's io thread; protocols() may be called from
// the hub's strand and reads a copy published under a mutex.
//
// protocols() is empty until every server has finished its first start (listed its tools, or
// failed); after that every change of the catalog is published at once. A call for a tool
// that is not in the catalog waits while some server has not finished its first start (it
// may be that server's tool), until its timeout; once all have, it fails with not_found.

#include "mcp_config.hpp"
#include "server_session.hpp"
#include "tool_catalog.hpp"

#include "gleitzeit/provider.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::provider_mcp_detail {

/// The provider's way to its host from the io thread (each one posts to the slot strand).
struct host_bridge {
    std::function<void(log_level, std::string)> log;
    std::function<void(std::string event, boost::json::object payload)> emit;
    std::function<void(std::string name, double value)> metric;
};

class mcp_client : public std::enable_shared_from_this<mcp_client> {
public:
    mcp_client(boost::asio::io_context& io, mcp_config config, host_bridge bridge);
    ~mcp_client();

    void start();
    void execute(method_call call, provider::done_fn done);
    void cancel(const std::string& task_id);
    /// Every open call ends with `cancelled`; the servers' children are killed.
    void stop();

    /// mcp/v1 as the catalog has it now; nothing until a server has listed its tools.
    std::vector<protocol_spec> protocols() const;

private:
    // A call that waits for a catalog that has its tool.
    struct unrouted {
        method_call call;
        provider::done_fn done;
        std::chrono::steady_clock::time_point started;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };

    /// Sends the call to its session, parks it, or fails it.
    void dispatch(method_call call, provider::done_fn done,
                  std::chrono::steady_clock::time_point started);
    bool call_tool(method_call& call, provider::done_fn& done,
                   std::chrono::steady_clock::time_point started);
    void call_server(method_call& call, provider::done_fn& done,
                     std::chrono::steady_clock::time_point started);
    void park(method_call call, provider::done_fn done,
              std::chrono::steady_clock::time_point started);
    void on_parked_timeout(std::uint64_t serial);
    void route_parked();
    void on_tools_changed();
    void on_state_changed();
    /// Hands the catalog to the hub (protocols_changed) when it changed.
    void publish();
    bool all_settled() const;
    std::chrono::milliseconds timeout_of(const method_call& call) const;
    /// What is left of the call's timeout since `started`.
    std::chrono::milliseconds remaining(const method_call& call,
                                        std::chrono::steady_clock::time_point started) const;
    /// Runs `done` with the outcome, and counts the call as finished.
    void deliver(provider::done_fn& done, const std::string& task_id,
                 std::chrono::steady_clock::time_point started, call_outcome outcome);
    void publish_running();

    boost::asio::io_context& io_;
    mcp_config config_;
    host_bridge bridge_;
    std::vector<std::string> server_names_;
    std::vector<std::shared_ptr<server_session>> sessions_;
    tool_catalog catalog_;
    std::map<std::uint64_t, unrouted> parked_;
    std::uint64_t next_parked_ = 0;
    std::size_t running_ = 0;
    std::uint64_t calls_total_ = 0;
    bool stopped_ = false;

    mutable std::mutex published_mutex_;
    std::optional<protocol_spec> published_;
};

} // namespace gleitzeit::provider_mcp_detail
