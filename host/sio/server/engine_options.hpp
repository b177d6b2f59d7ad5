#pragma once
// Settings of one Engine.IO endpoint, as the handshake announces them.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace gleitzeit::sio::engine {

struct options {
    std::chrono::milliseconds ping_interval{25000};
    std::chrono::milliseconds ping_timeout{20000};
    std::size_t max_payload = 1'000'000;
    /// The most bytes that may wait to go out to one session behind a write its peer does
    /// not take in; past it the session is closed ("slow consumer"), so that a client that
    /// does not read cannot grow the hub's memory (docs/operations.md, max_buffered). The
    /// long-polling sessions together may hold twice this (endpoint::polling_over_budget).
    std::size_t max_buffered = 8'000'000;
    bool allow_upgrades = true;
};

} // namespace gleitzeit::sio::engine
