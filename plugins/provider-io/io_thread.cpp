#include "io_thread.hpp"

namespace gleitzeit::provider_io {

io_thread::io_thread() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

io_thread::~io_thread() { stop(); }

void io_thread::stop() {
    if (!thread_.joinable())
        return;
    // Without the guard, run() returns once the handlers still queued have run: closes
    // posted by the owner before stop() get to complete their operations.
    work_.reset();
    thread_.join();
}

} // namespace gleitzeit::provider_io
