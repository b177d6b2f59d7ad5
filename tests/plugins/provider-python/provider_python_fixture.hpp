#pragma once
// provider-python with real python3 workers on the test host: calls by task id, results
// waited for by task id, and a scratch directory for scripts and pid files.

#include "provider_python.hpp"
#include "provider_python_test_host.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace provider_python_test {

namespace json = boost::json;
using namespace std::chrono_literals;

inline json::object obj(const char* text) {
    return json::parse(text).as_object();
}

/// A fresh directory under the temp dir, removed with its contents at the end.
struct scratch_dir {
    scratch_dir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "gleitzeit-python-XXXXXX").string();
        path = std::filesystem::canonical(::mkdtemp(pattern.data()));
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path write(const std::string& name, const std::string& text) const {
        std::filesystem::path p = path / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p;
    }
    std::filesystem::path path;
};

struct python_fixture {
    explicit python_fixture(const json::object& config = {})
        : provider(std::make_unique<gleitzeit::provider_python>(config)) {
        provider->start(host);
    }
    ~python_fixture() {
        if (provider)
            provider->stop();
    }

    void call(const std::string& task_id, const std::string& method, const json::object& params,
              std::chrono::milliseconds timeout = 30000ms) {
        provider->execute({task_id, "python/v1", method, params, timeout},
                          [this](gleitzeit::task_result r) {
                              std::lock_guard lock(mutex);
                              if (std::this_thread::get_id() == test_thread)
                                  ++reentered;
                              ++delivered[r.task_id];
                              results[r.task_id] = std::move(r);
                              changed.notify_all();
                          });
    }

    void execute(const std::string& task_id, const std::string& code,
                 const json::object& more = {}) {
        json::object params = more;
        params["code"] = code;
        call(task_id, "execute", params);
    }

    /// The result of `task_id`, waiting up to 30 s for it.
    gleitzeit::task_result wait(const std::string& task_id) {
        std::unique_lock lock(mutex);
        bool came = changed.wait_for(lock, 30s, [&] { return results.count(task_id) > 0; });
        BOOST_REQUIRE_MESSAGE(came, "no result for " + task_id);
        return results.at(task_id);
    }

    /// The `result` field of a successful execute or call.
    json::value value_of(const std::string& task_id) {
        gleitzeit::task_result r = wait(task_id);
        BOOST_REQUIRE_MESSAGE(r.ok(), task_id + " failed: " + (r.error ? r.error->message : ""));
        return r.result->as_object().at("result");
    }

    /// The error of a failed call, as "code|retryable|message", one string to compare.
    std::string error_of(const std::string& task_id) {
        gleitzeit::task_result r = wait(task_id);
        if (!r.error)
            return "succeeded: " + json::serialize(*r.result);
        return std::string(gleitzeit::to_string(r.error->code)) + "|" +
               (r.error->retryable ? "retryable" : "final") + "|" + r.error->message;
    }

    bool has_result(const std::string& task_id) {
        std::lock_guard lock(mutex);
        return results.count(task_id) > 0;
    }

    test_host host;
    std::unique_ptr<gleitzeit::provider_python> provider;
    std::mutex mutex;
    std::condition_variable changed;
    std::map<std::string, gleitzeit::task_result> results;
    std::map<std::string, int> delivered; // done calls per task id: each must be 1
    // The test calls the provider on this thread only; a done that runs on it ran inside
    // execute().
    std::thread::id test_thread = std::this_thread::get_id();
    int reentered = 0;
};

/// Whether a process no longer runs (gone, or a zombie waiting for its parent to reap it).
inline bool process_gone(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat)
        return true;
    std::string content((std::istreambuf_iterator<char>(stat)), {});
    auto close = content.rfind(')');
    return close != std::string::npos && content.size() > close + 2 && content[close + 2] == 'Z';
}

/// Polls process_gone for up to 5 s.
inline bool becomes_gone(int pid) {
    for (int i = 0; i < 500; ++i) {
        if (process_gone(pid))
            return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

} // namespace provider_python_test
