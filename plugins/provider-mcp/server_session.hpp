#pragma once
// One configured MCP server as seen from provider-mcp: the lifecycle (initialize, then
// notifications/initialized, then tools/list page by page), the requests in flight and their
// timeouts, the server's own messages (ping answered, progress passed on, tools/list_changed
// re-listed, log messages logged), and the restart with exponential backoff when the
// connection is lost. Lives on the provider's io thread; nothing here is thread-safe.
//
// A call made while the server is not ready waits (its timeout running) and goes out once the
// server is ready. When the connection goes down, every call sent or waiting fails with
// provider_error, retryable (another attempt may reach the restarted server); then the server
// is restarted after restart_initial, doubling up to restart_max; the delay starts over once
// a server stayed up stable_after.

#include "jsonrpc.hpp"
#include "tool_catalog.hpp"
#include "tool_result.hpp"
#include "transport.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::provider_mcp_detail {

/// The protocol version provider-mcp asks for, and the ones it accepts from a server.
inline constexpr const char* mcp_protocol_version = "2025-06-18";
bool supported_protocol_version(std::string_view v);

inline constexpr std::chrono::milliseconds stable_after{10000};
inline constexpr std::chrono::milliseconds max_lifecycle_timeout{30000};
inline constexpr std::size_t max_tool_pages = 1000;

struct session_timing {
    std::chrono::milliseconds call_timeout{300000};
    std::chrono::milliseconds restart_initial{500};
    std::chrono::milliseconds restart_max{30000};
};

struct session_events {
    /// The server has a new tool list (the first, or after tools/list_changed).
    std::function<void()> tools_changed;
    /// The server became ready or failed a start: calls waiting to be routed may move on.
    std::function<void()> state_changed;
    /// A notifications/progress for a task's call: {progress, total?, message?}.
    std::function<void(const std::string& task_id, boost::json::object progress)> progress;
    std::function<void(log_level, const std::string&)> log;
};

class server_session : public std::enable_shared_from_this<server_session> {
public:
    using reply_fn = std::function<void(call_outcome)>;

    server_session(boost::asio::io_context& io, std::string name, std::unique_ptr<transport> t,
                   session_timing timing, session_events events);
    ~server_session();

    /// The transport's handlers are bound here; call start() next.
    void bind();
    void start();
    /// Ends everything: each open call gets `why`; no handler of this session runs after.
    void stop(const task_error& why);

    /// A request for a task; `reply` runs exactly once, never inside call().
    void call(const std::string& task_id, const std::string& method, boost::json::object params,
              std::chrono::milliseconds timeout, bool with_progress, reply_fn reply);
    /// Cancels every call of the task: notifications/cancelled to the server, `cancelled` to
    /// the caller.
    void cancel(const std::string& task_id);

    const std::string& name() const noexcept { return name_; }
    /// The tools of the last listing; null until the first one.
    const std::vector<tool_info>* tools() const noexcept { return listed_ ? &tools_ : nullptr; }
    /// False only when the server said in initialize that it lacks `capability`.
    bool may_offer(std::string_view capability) const;
    /// Ready once, or failed a start: routing need not wait for it any more.
    bool settled() const noexcept { return settled_; }
    bool ready() const noexcept { return state_ == state::ready; }
    std::size_t open_calls() const noexcept { return open_calls_; }

private:
    enum class state { idle, starting, ready, backoff, closed };

    struct request {
        std::string task_id; // empty: the session's own (initialize, tools/list)
        std::string method;
        boost::json::object params;
        std::chrono::milliseconds timeout;
        bool sent = false;
        std::unique_ptr<boost::asio::steady_timer> timer;
        reply_fn reply;
    };

    std::int64_t open_request(std::string task_id, std::string method, boost::json::object params,
                              std::chrono::milliseconds timeout, reply_fn reply);
    void send(std::int64_t id);
    /// Takes the request out and runs its reply with `outcome`.
    void finish(std::int64_t id, call_outcome outcome);
    void on_timeout(std::int64_t id);
    void on_message(jsonrpc::message m);
    void on_answer(const jsonrpc::message& m);
    void on_request(const jsonrpc::message& m);
    void on_notification(const jsonrpc::message& m);
    void on_down(const std::string& why);
    void on_initialized(const call_outcome& outcome);
    void list_tools(std::optional<std::string> cursor, std::vector<tool_info> so_far,
                    std::size_t page);
    void on_tools_page(call_outcome outcome, std::vector<tool_info> so_far, std::size_t page);
    void become_ready();
    void schedule_restart();
    void log(log_level level, const std::string& message);
    std::chrono::milliseconds lifecycle_timeout() const;

    boost::asio::io_context& io_;
    std::string name_;
    std::unique_ptr<transport> transport_;
    session_timing timing_;
    session_events events_;

    state state_ = state::idle;
    bool settled_ = false;
    bool listed_ = false;
    bool listing_ = false;
    bool relist_ = false; // a list_changed came while a listing ran
    std::vector<tool_info> tools_;
    std::optional<boost::json::object> capabilities_;
    std::int64_t next_id_ = 0;
    std::map<std::int64_t, request> requests_;
    std::size_t open_calls_ = 0;
    std::chrono::milliseconds backoff_;
    std::chrono::steady_clock::time_point ready_since_;
    boost::asio::steady_timer restart_timer_;
};

} // namespace gleitzeit::provider_mcp_detail
