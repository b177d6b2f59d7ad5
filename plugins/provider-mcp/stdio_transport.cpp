#include "stdio_transport.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <sys/wait.h>

#include <utility>

namespace gleitzeit::provider_mcp_detail {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

std::string clip(std::string_view s) {
    if (s.size() <= max_logged_line)
        return std::string(s);
    return std::string(s.substr(0, max_logged_line)) + "... (" + std::to_string(s.size()) +
           " bytes)";
}

bool blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

} // namespace

std::string describe_exit(int wait_status, const std::string& why) {
    if (!why.empty())
        return "was killed: " + why;
    if (WIFEXITED(wait_status))
        return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status))
        return "was killed by signal " + std::to_string(WTERMSIG(wait_status));
    return "ended with wait status " + std::to_string(wait_status);
}

stdio_transport::stdio_transport(asio::io_context& io, const server_config& server)
    : io_(io), server_(server) {}

stdio_transport::~stdio_transport() { close(); }

void stdio_transport::open() {
    close();
    const std::uint64_t epoch = ++epoch_;
    garbage_in_row_ = 0;
    stderr_partial_.clear();
    provider_io::child_spec spec;
    spec.argv = server_.command;
    spec.env = server_.env;
    spec.working_directory = server_.cwd;
    spec.max_line = max_line;
    std::weak_ptr<const bool> alive = alive_;
    child_ = provider_io::child_process::spawn(
        io_, std::move(spec),
        [this, alive, epoch](std::string_view line) {
            if (!alive.expired())
                on_line(epoch, line);
        },
        [this, alive, epoch](std::string_view bytes) {
            if (!alive.expired())
                on_stderr(epoch, bytes);
        },
        [this, alive, epoch](int status, const std::string& why) {
            if (!alive.expired())
                on_exit(epoch, status, why);
        });
    if (handlers_.log)
        handlers_.log(log_level::info, "server '" + server_.name + "' started (pid " +
                                           std::to_string(child_->pid()) + ")");
}

void stdio_transport::send(const json::object& message, std::optional<std::int64_t> request_id,
                           std::chrono::milliseconds) {
    if (!child_) {
        // Not reached by the session, which sends only while a child runs; a request gets its
        // answer anyway, later, as the transport promises.
        if (request_id)
            asio::post(io_, [this, alive = std::weak_ptr<const bool>(alive_), id = *request_id] {
                if (!alive.expired() && handlers_.request_failed)
                    handlers_.request_failed(
                        id, {error_code::provider_error,
                             "MCP server '" + server_.name + "' is not running", true});
            });
        return;
    }
    child_->write(json::serialize(message) + "\n");
}

void stdio_transport::close() {
    ++epoch_;
    if (child_) {
        child_->kill("closed by provider-mcp");
        child_.reset();
    }
}

void stdio_transport::on_line(std::uint64_t epoch, std::string_view line) {
    if (epoch != epoch_ || blank(line))
        return;
    std::string why;
    auto messages = jsonrpc::parse(line, why);
    if (messages.empty()) {
        ++garbage_in_row_;
        if (handlers_.log)
            handlers_.log(log_level::warn, "server '" + server_.name +
                                               "' wrote a line that is not JSON-RPC (" + why +
                                               "), skipped: " + clip(line));
        if (garbage_in_row_ >= max_garbage_lines && child_)
            child_->kill(std::to_string(max_garbage_lines) +
                         " lines in a row on stdout were not JSON-RPC");
        return;
    }
    garbage_in_row_ = 0;
    for (auto& m : messages) {
        // A message may make the session close this child; the rest of a batch is then moot.
        if (epoch != epoch_)
            return;
        if (handlers_.message)
            handlers_.message(std::move(m));
    }
}

void stdio_transport::on_stderr(std::uint64_t epoch, std::string_view bytes) {
    if (epoch != epoch_)
        return;
    stderr_partial_.append(bytes);
    std::size_t start = 0;
    for (std::size_t nl; (nl = stderr_partial_.find('\n', start)) != std::string::npos;
         start = nl + 1)
        log_stderr_line(std::string_view(stderr_partial_).substr(start, nl - start));
    stderr_partial_.erase(0, start);
    // A server that writes without newlines still gets logged, in pieces.
    if (stderr_partial_.size() > max_logged_line) {
        log_stderr_line(stderr_partial_);
        stderr_partial_.clear();
    }
}

void stdio_transport::log_stderr_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (!blank(line) && handlers_.log)
        handlers_.log(log_level::info, "server '" + server_.name + "' (stderr): " + clip(line));
}

void stdio_transport::on_exit(std::uint64_t epoch, int wait_status, const std::string& why) {
    if (epoch != epoch_)
        return;
    child_.reset();
    if (!stderr_partial_.empty()) {
        log_stderr_line(stderr_partial_);
        stderr_partial_.clear();
    }
    if (handlers_.down)
        handlers_.down("the process " + describe_exit(wait_status, why));
}

} // namespace gleitzeit::provider_mcp_detail
