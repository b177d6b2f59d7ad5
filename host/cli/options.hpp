#pragma once
// What every command of `gleitzeit` shares: the global options, the exit codes, and the error
// a command throws to end with a message and a code.

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace gleitzeit::cli {

/// Exit codes, documented in docs/cli.md; scripts tell "the hub said no" from "no hub".
namespace exit_code {
constexpr int ok = 0;
constexpr int failed = 1;      // the hub refused the request, or the workflow did not complete
constexpr int usage = 2;       // bad arguments, or a workflow file refused before sending
constexpr int unreachable = 3; // no connection, a lost connection, or no reply in time
constexpr int interrupted = 130;
} // namespace exit_code

struct global_options {
    std::string url = "http://127.0.0.1:6680";
    std::string token;
    bool json = false;
    /// Bounds connecting and each reply; a running workflow is waited for without bound.
    std::chrono::milliseconds timeout{10000};
};

/// Ends a command: `message` goes to standard error, and with --json the hub's `reply`
/// (when there was one) to standard output.
class command_error : public std::runtime_error {
public:
    command_error(int exit, const std::string& message,
                  std::optional<boost::json::object> reply = std::nullopt)
        : std::runtime_error(message), exit_(exit), reply_(std::move(reply)) {}
    int exit() const { return exit_; }
    const std::optional<boost::json::object>& reply() const { return reply_; }

private:
    int exit_;
    std::optional<boost::json::object> reply_;
};

} // namespace gleitzeit::cli
