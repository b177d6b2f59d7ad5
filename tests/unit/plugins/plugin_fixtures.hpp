#pragma once
// What the plugin host tests share: a running io_context, a plugin_host on it, blocking
// wrappers around its callbacks, a private temp folder, and a look at /proc/self/maps.

#include "plugins/plugin_host.hpp"

#include <gleitzeit/queue.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gleitzeit::test {

/// A folder of its own, mode 0700, removed at the end.
struct temp_dir {
    temp_dir();
    ~temp_dir();
    std::filesystem::path path;
};

struct host_fixture {
    explicit host_fixture(std::chrono::milliseconds drain = std::chrono::milliseconds(30000));
    ~host_fixture();

    /// Each returns the error text; empty on success.
    std::string set_slot(slot_kind kind, const std::string& file, boost::json::object cfg = {});
    std::string set_provider(const std::string& file, boost::json::object cfg = {});
    std::string swap_file(slot_kind kind, const std::string& file);
    /// Runs `start(done)` and waits up to 10 s for done's error text ("" for success).
    std::string wait_for_host(const std::function<void(std::function<void(const std::string&)>)>& start);
    std::string install(const std::string& file);
    std::string unload_provider(const std::string& name);

    /// Task ids in the queue slot, in dispatch order.
    std::vector<std::string> queue_ids();
    void enqueue(const std::vector<task>& tasks);
    /// The versions of the slot's generations, current first; empty if the slot is empty.
    std::vector<std::string> versions(const std::string& slot);
    /// Waits (up to 5 s) until the slot has `n` generations. False on timeout.
    bool wait_generations(const std::string& slot, std::size_t n);

    boost::asio::io_context ioc;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
    temp_dir private_dir;
    std::vector<std::string> log;
    std::vector<std::pair<std::string, boost::json::object>> events; // what plugins emitted
    std::mutex log_mutex; // guards log and events
    std::unique_ptr<plugins::plugin_host> host;
    std::vector<std::thread> threads;
};

/// The distinct files mapped into this process whose path contains `part`.
std::set<std::string> mapped_files(const std::string& part);
/// Waits up to 5 s until exactly `n` files whose path contains `part` are mapped.
bool wait_mapped_count(const std::string& part, std::size_t n);

/// `n` tasks t0..t(n-1), priorities cycling through all four.
std::vector<task> make_tasks(std::size_t n, const std::string& prefix = "t");

} // namespace gleitzeit::test
