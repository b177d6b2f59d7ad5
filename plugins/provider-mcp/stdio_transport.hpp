#pragma once
// MCP's stdio transport: the server is a child process (provider_io::child_process) that
// reads JSON-RPC messages from its stdin and writes them to its stdout, one per line; what it
// writes to stderr is logged, line by line.
//
// A line on stdout that is not a JSON-RPC message is logged and skipped; after
// max_garbage_lines of them in a row the server is taken to be broken and killed, and so is
// one that writes a line over max_line bytes (child_process kills it). Either way the session
// sees the transport go down and restarts the server.

#include "mcp_config.hpp"
#include "transport.hpp"

#include "child_process.hpp"

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace gleitzeit::provider_mcp_detail {

inline constexpr std::size_t max_garbage_lines = 100;
inline constexpr std::size_t max_line = 16u << 20;
inline constexpr std::size_t max_logged_line = 2000;

class stdio_transport final : public transport {
public:
    stdio_transport(boost::asio::io_context& io, const server_config& server);
    ~stdio_transport() override;

    void set_handlers(transport_handlers h) override { handlers_ = std::move(h); }
    void open() override;
    void send(const boost::json::object& message, std::optional<std::int64_t> request_id,
              std::chrono::milliseconds timeout) override;
    void abandon(std::int64_t) override {}
    void initialized(const std::string&) override {}
    void close() override;

private:
    void on_line(std::uint64_t epoch, std::string_view line);
    void on_stderr(std::uint64_t epoch, std::string_view bytes);
    void on_exit(std::uint64_t epoch, int wait_status, const std::string& why);
    void log_stderr_line(std::string_view line);

    boost::asio::io_context& io_;
    server_config server_;
    transport_handlers handlers_;
    std::shared_ptr<provider_io::child_process> child_;
    std::uint64_t epoch_ = 0; // which child the callbacks are about; older ones are ignored
    std::size_t garbage_in_row_ = 0;
    std::string stderr_partial_;
    // The child's callbacks hold it weakly: the child may outlive this transport by the time
    // its pipes take to close.
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

/// How a child ended, for people: "exited with code 3", "was killed by signal 9", or
/// "was killed: <why>" when provider-mcp ended it.
std::string describe_exit(int wait_status, const std::string& why);

} // namespace gleitzeit::provider_mcp_detail
