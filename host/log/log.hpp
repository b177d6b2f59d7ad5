#pragma once
// The one logging path of gleitzeitd's libraries (docs/architecture.md, "Logging"). Library
// code writes here, never to std::cerr; the daemon decides where the lines go (standard
// error, which systemd's journal keeps), and a test can catch them.

#include <gleitzeit/host.hpp> // log_level

#include <functional>
#include <string>
#include <string_view>

namespace gleitzeit::log {

using sink_fn = std::function<void(log_level, std::string_view line)>;

/// Replaces where lines go; the default writes "gleitzeitd: <line>" to standard error.
/// Set it before the threads start.
void set_sink(sink_fn sink);

void write(log_level level, std::string_view line);
inline void info(std::string_view line) {
    write(log_level::info, line);
}
inline void warn(std::string_view line) {
    write(log_level::warn, line);
}
inline void error(std::string_view line) {
    write(log_level::error, line);
}

} // namespace gleitzeit::log
