// host/plugins with real plugin files: the shipped queue-memory (1.0.0 and its test build
// 2.0.0), a provider built twice, and fixtures that each misbehave in one way.
#define BOOST_TEST_MODULE plugin_host
#include "plugin_fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <gleitzeit/version.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <fstream>
#include <future>
#include <sys/stat.h>

using namespace gleitzeit;
using gleitzeit::test::host_fixture;

namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// The file names of queue-memory's private copies, as /proc/self/maps shows them.
std::string queue_copies(const host_fixture& f) {
    return (f.private_dir.path / "private" / "queue-memory.").string();
}

task_result run(host_fixture& f, const std::string& provider, const std::string& id, int ms) {
    std::promise<task_result> p;
    method_call c;
    c.task_id = id;
    c.protocol = "slow/v1";
    c.method = "sleep";
    c.params = {{"ms", ms}};
    f.host->execute(provider, c, [&p](task_result r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}

std::string version_of(const task_result& r) {
    BOOST_REQUIRE_MESSAGE(r.ok(), "call failed: " << (r.error ? r.error->message : ""));
    return std::string(r.result->at("version").as_string());
}

} // namespace

BOOST_AUTO_TEST_CASE(stateful_swap_keeps_every_task_in_order_and_unmaps_the_old_library) {
    host_fixture f;
    BOOST_REQUIRE_EQUAL(f.set_slot(slot_kind::queue, QUEUE_MEMORY_V1), "");
    f.enqueue(test::make_tasks(1000));
    auto before = f.queue_ids();
    BOOST_REQUIRE_EQUAL(before.size(), 1000u);
    BOOST_TEST(test::mapped_files(queue_copies(f)).size() == 1u);

    BOOST_REQUIRE_EQUAL(f.set_slot(slot_kind::queue, QUEUE_MEMORY_V2), ""); // queue/1 -> queue/2
    BOOST_TEST(f.versions("queue") == std::vector<std::string>{"2.0.0"});
    BOOST_TEST(f.queue_ids() == before);
    BOOST_TEST(test::wait_mapped_count(queue_copies(f), 1)); // 1.0.0 is gone from the maps

    BOOST_REQUIRE_EQUAL(f.set_slot(slot_kind::queue, QUEUE_MEMORY_V1), ""); // down to queue/1
    BOOST_TEST(f.versions("queue") == std::vector<std::string>{"1.0.0"});
    BOOST_TEST(f.queue_ids() == before);
    BOOST_TEST(test::wait_mapped_count(queue_copies(f), 1));

    auto slots = f.host->describe();
    BOOST_REQUIRE_EQUAL(slots.size(), 1u);
    const auto& gen = slots[0].at("generations").as_array().at(0).as_object();
    BOOST_TEST(gen.at("generation").to_number<int>() == 3);
    BOOST_TEST(gen.at("file").as_string() == QUEUE_MEMORY_V1);
    BOOST_TEST(gen.at("swap_pause_ms").to_number<double>() >= 0.0);
}

// A handoff swap (gleitzeit/handoff.hpp) copies the state while the queue serves: what a
// client changes meanwhile must reach the new generation through the journal, in order.
BOOST_AUTO_TEST_CASE(changes_during_a_handoff_swap_reach_the_new_generation) {
    host_fixture f;
    BOOST_REQUIRE_EQUAL(f.set_slot(slot_kind::queue, QUEUE_MEMORY_V1), "");
    f.enqueue(test::make_tasks(100000)); // a copy that takes long enough to change things in
    std::vector<std::string> expected = f.queue_ids();
    std::atomic<bool> swapped{false};
    std::size_t changes_during_swap = 0;
    std::thread client([&] {
        // Each round waits for its strand job, so `expected` follows the queue step by step.
        for (int round = 0; !swapped || round < 10; ++round) {
            std::promise<std::string> took;
            auto id = "late-" + std::to_string(round);
            f.host->with_slot(slot_kind::queue, [&](plugin* p) {
                auto* q = dynamic_cast<queue*>(p);
                auto late = test::make_tasks(1, id + "-").front();
                late.priority = priority::low; // behind every task queued
                q->enqueue(std::move(late));
                q->remove("t" + std::to_string(round * 7));
                took.set_value(q->dequeue({})->id);
            });
            auto first = took.get_future().get();
            if (!swapped)
                ++changes_during_swap;
            expected.push_back(id + "-0");
            std::erase(expected, "t" + std::to_string(round * 7));
            BOOST_TEST(first == expected.front());
            std::erase(expected, first);
        }
    });
    auto error = f.set_slot(slot_kind::queue, QUEUE_MEMORY_V2);
    swapped = true;
    client.join();
    BOOST_REQUIRE_EQUAL(error, "");
    BOOST_TEST(f.versions("queue") == std::vector<std::string>{"2.0.0"});
    BOOST_TEST(changes_during_swap > 0u);
    BOOST_TEST(f.queue_ids() == expected);
    BOOST_TEST_MESSAGE(changes_during_swap << " rounds of changes ran during the swap");
}

BOOST_AUTO_TEST_CASE(bad_plugins_are_refused_and_the_running_queue_keeps_serving) {
    host_fixture f;
    BOOST_REQUIRE_EQUAL(f.set_slot(slot_kind::queue, QUEUE_MEMORY_V1), "");
    f.enqueue(test::make_tasks(50));
    auto before = f.queue_ids();

    auto dir = f.private_dir.path;
    auto text = dir / "notes.so";
    std::ofstream(text) << "not a library\n";
    auto world_writable = dir / "world-writable.so";
    fs::copy_file(QUEUE_MEMORY_V2, world_writable);
    ::chmod(world_writable.c_str(), 0666);
    auto truncated = dir / "half-written.so";
    {
        std::ifstream in(QUEUE_MEMORY_V2, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
    }

    const std::vector<std::pair<std::string, std::string>> cases{
        {text.string(), "not an ELF shared library"},
        {NO_DESCRIPTOR, "no gleitzeit_plugin_descriptor: not a Gleitzeit plugin"},
        {API_MISMATCH, "plugin API version 999 (plugin) != " +
                           std::to_string(gleitzeit::plugin_api_version) + " (host)"},
        {SLOW_PROVIDER_V1,
         "'slow-provider' is a provider plugin, but the queue slot needs a queue plugin"},
        {THROWING_QUEUE, "its constructor threw: throwing-queue refuses to be constructed"},
        {IMPORT_THROWS_QUEUE, "import_state threw: import-throws-queue cannot import on purpose; "
                              "queue-memory 1.0.0 (generation 1) stays active with its state"},
        {CHANGES_THROW_QUEUE,
         "import_changes threw: changes-throw-queue cannot replay on purpose; "
         "queue-memory 1.0.0 (generation 1) stays active with its state"},
        {world_writable.string(), "the file is writable by other users (mode 0666)"},
        {truncated.string(), "the file is incomplete (still being written?)"},
        {(dir / "missing.so").string(), "no such file"},
    };
    for (const auto& [file, why] : cases) {
        BOOST_TEST_CONTEXT(file) {
            auto error = f.set_slot(slot_kind::queue, file);
            BOOST_TEST(contains(error, why), "error was: " << error);
            BOOST_TEST(contains(error, file), "the error names the file: " << error);
            BOOST_TEST(f.versions("queue") == std::vector<std::string>{"1.0.0"});
            BOOST_TEST(f.queue_ids() == before);
            std::lock_guard lock(f.log_mutex);
            BOOST_TEST(contains(f.log.back(), why), "last log line: " << f.log.back());
        }
    }
    // Still serving: an urgent task enqueued now lands behind the urgent ones queued before.
    f.enqueue(test::make_tasks(1, "after"));
    auto now = f.queue_ids();
    BOOST_REQUIRE(now.size() == before.size() + 1);
    BOOST_TEST(now[13] == "after0"); // t0, t4, ..., t48 are the 13 urgent tasks before it
    now.erase(now.begin() + 13);
    BOOST_TEST(now == before);
    // The refused libraries left no mapping behind: only generation 1 is mapped.
    BOOST_TEST(test::wait_mapped_count(queue_copies(f), 1));
    BOOST_TEST(test::mapped_files((dir / "private" / "import-throws-queue.").string()).empty());
}

BOOST_AUTO_TEST_CASE(provider_swap_finishes_calls_in_flight_on_the_old_generation) {
    host_fixture f;
    BOOST_REQUIRE_EQUAL(f.set_provider(SLOW_PROVIDER_V1), "");
    std::vector<std::future<task_result>> old_calls, new_calls;
    for (int i = 0; i < 5; ++i)
        old_calls.push_back(std::async(std::launch::async, [&f, i] {
            return run(f, "slow-provider", "old" + std::to_string(i), 400);
        }));
    std::this_thread::sleep_for(std::chrono::milliseconds(100)); // the calls are running
    BOOST_REQUIRE_EQUAL(f.set_provider(SLOW_PROVIDER_V2), "");
    BOOST_TEST(f.versions("provider:slow-provider") ==
               (std::vector<std::string>{"2.0.0", "1.0.0"})); // 1.0.0 drains
    for (int i = 0; i < 5; ++i)
        new_calls.push_back(std::async(std::launch::async, [&f, i] {
            return run(f, "slow-provider", "new" + std::to_string(i), 10);
        }));
    for (auto& c : new_calls)
        BOOST_TEST(version_of(c.get()) == "2.0.0");
    for (auto& c : old_calls)
        BOOST_TEST(version_of(c.get()) == "1.0.0");
    BOOST_TEST(f.wait_generations("provider:slow-provider", 1));
    auto copies = (f.private_dir.path / "private" / "slow-provider.").string();
    BOOST_TEST(test::wait_mapped_count(copies, 1));

    // A third swap while none drains is allowed again.
    BOOST_TEST(f.set_provider(SLOW_PROVIDER_V1) == "");
    BOOST_TEST(test::wait_mapped_count(copies, 1));
}

BOOST_AUTO_TEST_CASE(a_drain_timeout_cancels_the_calls_left_and_unloads) {
    host_fixture f(std::chrono::milliseconds(200));
    BOOST_REQUIRE_EQUAL(f.set_provider(SLOW_PROVIDER_V1), "");
    auto slow = std::async(std::launch::async,
                           [&f] { return run(f, "slow-provider", "stuck", 60000); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    BOOST_REQUIRE_EQUAL(f.set_provider(SLOW_PROVIDER_V2), "");
    BOOST_REQUIRE(slow.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    auto r = slow.get();
    BOOST_REQUIRE(r.error.has_value());
    BOOST_TEST((r.error->code == error_code::cancelled));
    BOOST_TEST(f.wait_generations("provider:slow-provider", 1));
    BOOST_TEST(test::wait_mapped_count((f.private_dir.path / "private" / "slow-provider.").string(), 1));
}

BOOST_AUTO_TEST_CASE(install_places_a_plugin_by_its_descriptor) {
    host_fixture f;
    BOOST_REQUIRE_EQUAL(f.set_slot(slot_kind::queue, QUEUE_MEMORY_V1), "");
    f.enqueue(test::make_tasks(10));
    auto before = f.queue_ids();

    BOOST_TEST(f.install(SLOW_PROVIDER_V1) == ""); // a provider is added
    BOOST_TEST(f.host->providers() == std::vector<std::string>{"slow-provider"});
    BOOST_TEST(f.install(QUEUE_MEMORY_V2) == ""); // same name, other version: hot swap
    BOOST_TEST(f.versions("queue") == std::vector<std::string>{"2.0.0"});
    BOOST_TEST(f.queue_ids() == before);
    BOOST_TEST(contains(f.install(QUEUE_MEMORY_V2), "is already running in the queue slot"));
    BOOST_TEST(contains(f.install(THROWING_QUEUE),
                        "a drop-in replaces only a plugin of the same name"));
    BOOST_TEST(f.versions("queue") == std::vector<std::string>{"2.0.0"});

    BOOST_TEST(f.unload_provider("slow-provider") == "");
    BOOST_TEST(f.wait_generations("provider:slow-provider", 0));
    BOOST_TEST(f.host->providers().empty());
    BOOST_TEST(test::wait_mapped_count((f.private_dir.path / "private" / "slow-provider.").string(), 0));
    BOOST_TEST(contains(f.unload_provider("slow-provider"), "is empty"));
}

BOOST_AUTO_TEST_CASE(calls_to_a_missing_provider_fail_with_no_provider) {
    host_fixture f;
    auto r = run(f, "nobody", "x", 1);
    BOOST_REQUIRE(r.error.has_value());
    BOOST_TEST((r.error->code == error_code::no_provider));
    BOOST_TEST(r.error->message == "no provider plugin 'nobody'");
}

// The admin's swap_plugin names only a file: the new build runs with the config the
// configured instance had, under the instance's name.
BOOST_AUTO_TEST_CASE(a_swap_by_file_keeps_the_running_config) {
    host_fixture f;
    BOOST_REQUIRE_EQUAL(f.set_provider(SLOW_PROVIDER_V1, {{"tag", "configured"}}), "");
    BOOST_REQUIRE_EQUAL(f.swap_file(gleitzeit::slot_kind::provider, SLOW_PROVIDER_V2), "");
    auto r = run(f, "slow-provider", "a", 1);
    BOOST_TEST(version_of(r) == "2.0.0");
    BOOST_TEST(boost::json::serialize(r.result->at("tag")) == R"("configured")");
    // A file with nothing running under its name starts with an empty config.
    host_fixture g;
    BOOST_REQUIRE_EQUAL(g.swap_file(gleitzeit::slot_kind::provider, SLOW_PROVIDER_V1), "");
    BOOST_TEST(!run(g, "slow-provider", "b", 1).result->as_object().contains("tag"));
    // Named instances of the plugin ([[providers]] name) each get the new build, each with
    // its own config.
    host_fixture h;
    for (const char* name : {"slow-a", "slow-b"})
        BOOST_REQUIRE_EQUAL(h.wait_for_host([&](auto done) {
            h.host->set_provider(SLOW_PROVIDER_V1, {{"tag", name}}, done, name);
        }),
                            "");
    BOOST_REQUIRE_EQUAL(h.swap_file(gleitzeit::slot_kind::provider, SLOW_PROVIDER_V2), "");
    for (const char* name : {"slow-a", "slow-b"}) {
        auto got = run(h, name, "c", 1);
        BOOST_TEST(version_of(got) == "2.0.0");
        BOOST_TEST(got.result->at("tag").as_string() == name);
    }
    BOOST_TEST(h.host->providers() == (std::vector<std::string>{"slow-a", "slow-b"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(host_services_reach_the_log_the_hub_and_metrics) {
    host_fixture f;
    BOOST_REQUIRE_EQUAL(f.set_provider(SLOW_PROVIDER_V2), "");
    BOOST_TEST(version_of(run(f, "slow-provider", "a", 1)) == "2.0.0");
    BOOST_TEST(version_of(run(f, "slow-provider", "b", 1)) == "2.0.0");
    {
        std::lock_guard lock(f.log_mutex);
        BOOST_TEST(std::count(f.log.begin(), f.log.end(),
                              "provider:slow-provider (slow-provider 2.0.0): started") == 1);
        BOOST_REQUIRE_EQUAL(f.events.size(), 1u);
        BOOST_TEST(f.events[0].first == "plugin_started");
        BOOST_TEST(boost::json::serialize(f.events[0].second) ==
                   R"({"name":"slow-provider","version":"2.0.0","emitted_by":"provider:slow-provider"})");
    }
    auto metrics = f.host->metrics_text();
    BOOST_TEST(contains(metrics, "gleitzeit_plugin_calls{slot=\"provider:slow-provider\"} 2.000000\n"),
               metrics);
    BOOST_TEST(contains(metrics, "gleitzeit_slot_generations{slot=\"provider:slow-provider\"} 1\n"),
               metrics);
}
