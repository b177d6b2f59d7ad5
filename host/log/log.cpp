#include "log/log.hpp"

#include <iostream>
#include <mutex>

namespace gleitzeit::log {

namespace {

std::mutex& lines_mutex() {
    static std::mutex m;
    return m;
}

sink_fn& current() {
    static sink_fn sink = [](log_level, std::string_view line) {
        std::cerr << "gleitzeitd: " << line << std::endl;
    };
    return sink;
}

} // namespace

void set_sink(sink_fn sink) {
    std::lock_guard lock(lines_mutex());
    current() = std::move(sink);
}

void write(log_level level, std::string_view line) {
    // One line at a time: lines from several threads do not interleave.
    std::lock_guard lock(lines_mutex());
    current()(level, line);
}

} // namespace gleitzeit::log
