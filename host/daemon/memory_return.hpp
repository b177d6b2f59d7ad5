#pragma once
// How gleitzeitd gives memory back to the system once the clients that made it grow are
// gone (docs/reliability.md, "Hostile input"). glibc keeps what is freed for reuse: after
// 1,000 clients have come and gone, the hub would keep tens of MB it no longer uses.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>

namespace gleitzeit::sio {
class metrics;
}

namespace gleitzeit::daemon {

/// Sets the allocator up for the hub, before it allocates much: see memory_return.cpp.
void tune_allocator();

/// Returns the heap's free pages to the system once many connections have closed, or much
/// of the heap was freed, since it last did: looked at a few times a second, off the path
/// of any request.
class memory_return {
public:
    memory_return(boost::asio::io_context& ioc, const sio::metrics& stats);
    void start();

private:
    void arm();
    void check();

    boost::asio::steady_timer timer_;
    const sio::metrics& stats_;
    std::int64_t most_ = 0; // the most connections open since memory was last returned
    std::size_t heap_most_ = 0; // the most heap in use (bytes) since then
};

} // namespace gleitzeit::daemon
