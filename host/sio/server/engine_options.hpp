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
    bool allow_upgrades = true;
};

} // namespace gleitzeit::sio::engine
