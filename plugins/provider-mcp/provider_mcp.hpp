#pragma once
// provider-mcp: a Model Context Protocol client (revision 2025-06-18) that serves the tools,
// resources and prompts of the configured MCP servers as protocol mcp/v1.
//
// Methods (docs/providers/mcp.md has examples):
//   tool.<name>     {the tool's arguments}  -> {"content": [...] as the server sent it,
//                                               "result": the single text content, parsed when
//                                                         it is JSON (absent otherwise),
//                                               "structuredContent": {...} if sent}
//                   The params schema is the tool's inputSchema (tool_schema.hpp). A name two
//                   servers share: the first in `servers` keeps tool.<name>, the later one's
//                   is tool.<server>.<name> (tool_catalog.hpp).
//   resources.list  {server?, cursor?}      -> resources/list's {resources, nextCursor?}
//   resource.read   {uri, server?}          -> {"contents": [...], "result"?: single text}
//   prompts.list    {server?, cursor?}      -> prompts/list's {prompts, nextCursor?}
//   prompt.get      {name, arguments?, server?} -> prompts/get's {description?, messages}
//   `server` absent: the first configured server that did not say it lacks the capability.
// Errors:
//   the tool answered isError: true      provider_error, not retryable, message = its text
//   the server refused (JSON-RPC error)  provider_error, not retryable, "MCP server 'x':
//                                        tools/call failed: <code>: <message>"
//   the server died or the HTTP request  provider_error, retryable
//     failed in transport (5xx, refused)
//   no answer within the call's timeout  timeout, retryable (notifications/cancelled is sent)
//   cancel()                             cancelled, not retryable (notifications/cancelled)
//   bad params of the four fixed methods invalid_argument, not retryable
//   unknown method                       not_found, not retryable
// Progress: a tools/call carries _meta.progressToken; each notifications/progress becomes
// host.emit("task_progress", {"task_id", "progress", "total"?, "message"?}).
//
// protocols(): nothing until every server has finished its first start (listed its tools,
// or failed), then mcp/v1 with the methods known now; when a tool list changes
// (tools/list_changed, a restarted server) the provider emits "protocols_changed" so that the
// hub registers the new list.
//
// Config (the [providers.config] table; mcp_config.hpp checks it):
//   servers          array, required: {name, transport = "stdio", command = [argv...],
//                    env = {...}, cwd = "..."} or {name, transport = "http", url = "...",
//                    headers = {...}}
//   max_concurrency  integer 1..100000, default 16: the hub's credit for this provider
//   call_timeout     ms 1..86400000, default 300000: the most any call may take (the task's
//                    own timeout applies when shorter)
//   restart_backoff  {initial = 500, max = 30000} ms: delay before restarting a server that
//                    died (or re-initializing an HTTP session), doubling up to max
// Any other key, or a bad value, is refused in the constructor with
// gleitzeit::error(invalid_argument, "provider-mcp: <key>: ...").
//
// Threading: the servers' I/O runs on the provider's own io_thread (provider_io); execute()
// and cancel() post there, and `done` runs there, never inside execute(). Host services
// (log, emit, metric) are posted to the slot strand. stop() ends every open call with
// `cancelled`, kills the stdio servers, cancels the HTTP requests and joins the io thread
// before it returns.
//
// Metrics: calls_total, running (calls whose done has not run yet).
// Stateless across a hot swap: the new generation starts its own servers; the old one keeps
// its servers until its calls in flight are done.

#include "mcp_config.hpp"

#include "gleitzeit/provider.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace gleitzeit {

namespace provider_io {
class io_thread;
}
namespace provider_mcp_detail {
class mcp_client;
struct host_bridge;
} // namespace provider_mcp_detail

class provider_mcp : public provider {
public:
    /// Throws gleitzeit::error(invalid_argument) for a config it does not accept.
    explicit provider_mcp(const boost::json::object& config);
    ~provider_mcp() override;

    void start(host& h) override;
    void stop() override;

    std::vector<protocol_spec> protocols() const override;
    std::size_t max_concurrency() const override { return config_.max_concurrency; }
    void execute(method_call call, done_fn done) override;
    void cancel(const std::string& task_id) override;

private:
    provider_mcp_detail::host_bridge bridge();

    provider_mcp_detail::mcp_config config_;
    host* host_ = nullptr;
    bool stopped_ = false;
    std::unique_ptr<provider_io::io_thread> io_;
    std::shared_ptr<provider_mcp_detail::mcp_client> client_;
    // What is posted to the strand holds it weakly: the host may run it after this instance
    // is gone, and then it must not touch it.
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

} // namespace gleitzeit
