#include "daemon/memory_return.hpp"

#include "sio/server/metrics.hpp"

#include <malloc.h>

#include <chrono>

namespace gleitzeit::daemon {

namespace {
// Buffers this large come from mmap and go back to the system when freed. glibc's own
// threshold starts at 128 KiB and rises to the largest buffer freed so far (up to 32 MiB):
// after one 1 MB message, the POST bodies and large frames of 1,000 clients would all come
// from the heap, where what is freed stays. Set, it no longer moves. 64 KiB: mapping a
// buffer that size costs a system call and its page faults, little beside filling it.
// Measured with tests/hostile/scale.test.mjs, without malloc_trim: 1,000 WebSocket clients
// leave +22 MB instead of +30 MB, 1,000 polling clients +18 MB instead of +28 MB.
constexpr int mmap_threshold = 64 * 1024;
// Connections closed since the last return that make one worth it: a burst, not the
// coming and going of a few.
constexpr std::int64_t burst = 64;
// Heap freed since the most that was in use that makes a return worth it. A workflow of
// 10,000 tasks holds some 40 MB of heap while it runs and lets go of most of it when it
// ends or is forgotten ([state] keep_finished_tasks); glibc would keep that as RSS.
constexpr std::size_t heap_burst = 16u << 20;
constexpr auto period = std::chrono::milliseconds(250);
} // namespace

void tune_allocator() {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
}

memory_return::memory_return(boost::asio::io_context& ioc, const sio::metrics& stats)
    : timer_(ioc), stats_(stats) {}

void memory_return::start() {
    arm();
}

void memory_return::arm() {
    timer_.expires_after(period);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec)
            check();
    });
}

void memory_return::check() {
    // TCP connections, not sessions: slowloris and refused requests have no session, and
    // hold buffers all the same.
    const auto open = stats_.tcp_connections.load(std::memory_order_relaxed);
    if (open > most_)
        most_ = open;
    // The heap in use; what mmap holds goes back by itself.
    const auto heap = mallinfo2().uordblks;
    if (heap > heap_most_)
        heap_most_ = heap;
    if (most_ - open >= burst || heap_most_ - heap >= heap_burst) {
        // The freed pages inside the heap go back too (MADV_DONTNEED), not only its top:
        // after 1,000 clients, +7 MB stay instead of +22 to +30 MB. It takes 1 to 6 ms, once
        // per burst, on one of the pool's threads.
        malloc_trim(0);
        most_ = open;
        heap_most_ = heap;
    }
    arm();
}

} // namespace gleitzeit::daemon
