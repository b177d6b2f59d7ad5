#pragma once
// What provider_llm_test.cpp's cases share: a provider-llm started on a test host against a
// fixture server, calls with their results recorded, the loop run until something happened
// (with a cap, so a bug shows as a failed check rather than a hung test), and checks of
// results and progress events.

#include "llm_fixture_process.hpp"
#include "llm_test_host.hpp"
#include "provider_llm.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace provider_llm_test {

/// One fixture server for the cases that need nothing special from it.
inline fixture_process& shared_fixture() {
    static fixture_process server;
    return server;
}

inline const char* test_env(const char* name) {
    static const std::map<std::string, std::string> vars{{"LLM_TEST_KEY", "sk-fixture"},
                                                         {"LLM_WRONG_KEY", "sk-wrong"}};
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
}

struct llm_harness {
    /// `config` is JSON; "$URL" in it stands for the server's URL, and without a "url" key
    /// the server's URL is added.
    llm_harness(fixture_process& s, std::string config) : server(s) {
        for (std::size_t at; (at = config.find("$URL")) != std::string::npos;)
            config.replace(at, 4, server.url());
        boost::json::object c = boost::json::parse(config).as_object();
        if (!c.contains("url"))
            c["url"] = server.url();
        provider = std::make_unique<gleitzeit::provider_llm>(c, test_env);
        provider->start(host);
    }
    ~llm_harness() { provider->stop(); }

    void call(const std::string& task_id, const std::string& method, const std::string& params) {
        provider->execute({task_id, "llm/v1", method, boost::json::parse(params).as_object(),
                           std::chrono::milliseconds(30000)},
                          [this](gleitzeit::task_result r) { results.push_back(std::move(r)); });
    }

    bool run_until(const std::function<bool()>& done, int cap_ms = 10000) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(cap_ms);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            io.restart();
            io.run_for(std::chrono::milliseconds(10));
        }
        return true;
    }
    bool run_until_results(std::size_t n) {
        return run_until([&] { return results.size() >= n; });
    }
    void run_for(int ms) {
        io.restart();
        io.run_for(std::chrono::milliseconds(ms));
    }

    const gleitzeit::task_result& result_of(const std::string& task_id) const {
        for (const auto& r : results)
            if (r.task_id == task_id)
                return r;
        throw std::runtime_error("no result for " + task_id);
    }
    std::string error_of(const std::string& task_id) const {
        const auto& r = result_of(task_id);
        return r.error ? r.error->message : "(no error)";
    }

    void check_ok(const gleitzeit::task_result& r, const std::string& task_id, const std::string& expected) {
        BOOST_TEST(r.task_id == task_id);
        BOOST_TEST(r.provider == "provider-llm");
        BOOST_TEST(!r.error.has_value(), (r.error ? r.error->message : ""));
        BOOST_TEST_REQUIRE(r.result.has_value());
        BOOST_TEST(*r.result == boost::json::parse(expected),
                   boost::json::serialize(*r.result) << " != " << expected);
    }
    void check_ok(std::size_t i, const std::string& task_id, const std::string& expected) {
        BOOST_TEST_REQUIRE(results.size() > i);
        check_ok(results[i], task_id, expected);
    }
    void check_ok(const std::string& task_id, const std::string& expected) {
        check_ok(result_of(task_id), task_id, expected);
    }

    static void check_error(const gleitzeit::task_result& r, const std::string& code,
                            const std::string& message, bool retryable) {
        BOOST_TEST(!r.result.has_value());
        BOOST_TEST_REQUIRE(r.error.has_value());
        BOOST_TEST(std::string(gleitzeit::to_string(r.error->code)) == code);
        BOOST_TEST(r.error->message == message);
        BOOST_TEST(r.error->retryable == retryable);
    }
    void check_error(std::size_t i, const std::string& code, const std::string& message, bool retryable) {
        BOOST_TEST_REQUIRE(results.size() > i);
        check_error(results[i], code, message, retryable);
    }
    void check_error(const std::string& task_id, const std::string& code, const std::string& message,
                     bool retryable) {
        check_error(result_of(task_id), code, message, retryable);
    }

    /// The task_progress events (of `task_id`, or all) as "<task>#<index>:<text>|...".
    std::string progress(const std::string& task_id = "") const {
        std::string out;
        for (const auto& p : host.events("task_progress")) {
            const std::string id(p.at("task_id").as_string());
            if (task_id.empty() || id == task_id)
                out += id + "#" + std::to_string(p.at("index").as_int64()) + ":" +
                       std::string(p.at("text").as_string()) + "|";
        }
        return out;
    }

    /// The last request the server got that is not a health check.
    boost::json::value last_request() const {
        const boost::json::value all = server.requests();
        const auto& list = all.at("requests").as_array();
        for (auto it = list.rbegin(); it != list.rend(); ++it) {
            const auto path = it->at("path").as_string();
            if (path != "/api/tags" && path != "/v1/models")
                return *it;
        }
        return nullptr;
    }

    fixture_process& server;
    boost::asio::io_context io;
    test_host host{io};
    std::unique_ptr<gleitzeit::provider_llm> provider;
    std::vector<gleitzeit::task_result> results;
};

/// A fresh directory under /tmp, removed at the end.
struct temp_files {
    temp_files() {
        char pattern[] = "/tmp/provider-llm-calls-XXXXXX";
        path = std::filesystem::canonical(::mkdtemp(pattern)).string();
    }
    ~temp_files() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& bytes) const {
        const std::string p = path + "/" + name;
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
    std::string path;
};

} // namespace provider_llm_test
