#pragma once
// An io_context on a thread of its own, owned by one provider instance (docs/plugins.md,
// section 6, "I/O of a provider"). Why not the hub's io_context: Asio keeps the services a
// plugin's code creates (resolver, SSL, socket services) and the operations it starts inside
// the io_context, with vtables in the plugin's library. The hub's io_context outlives every
// plugin generation, so after a hot swap unmapped the old library it would call into code
// that is gone. A provider's own io_context is stopped and destroyed in stop(), while its code
// is still mapped.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <thread>

namespace gleitzeit::provider_io {

class io_thread {
public:
    io_thread();
    /// Stops and joins, as stop() does.
    ~io_thread();
    io_thread(const io_thread&) = delete;
    io_thread& operator=(const io_thread&) = delete;

    boost::asio::io_context& context() noexcept { return io_; }
    /// Runs the handlers still queued, then stops the thread and joins it. Idempotent. Must
    /// not be called from the thread itself.
    void stop();

private:
    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::thread thread_;
};

} // namespace gleitzeit::provider_io
