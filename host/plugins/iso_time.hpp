#pragma once
// UTC times as list_plugins, /health and reload outcomes show them: "2026-11-27T21:00:00Z".

#include <chrono>
#include <ctime>
#include <string>

namespace gleitzeit::plugins {

inline std::string iso_time(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace gleitzeit::plugins
