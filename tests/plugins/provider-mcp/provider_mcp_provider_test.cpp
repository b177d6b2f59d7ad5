// provider-mcp as the hub runs it, on a test host, against a real stdio server: the
// hand-written garbage server (tests/fixtures/mcp_garbage_server.mjs) started with node. What
// protocols() says before and after the first listing, a call's result and its done outside
// execute(), the refusals it makes itself, cancel, and stop() ending an open call with
// `cancelled` and leaving no server process behind.

#include "provider_mcp.hpp"

#include "gleitzeit/host.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace json = boost::json;
using gleitzeit::error_code;
using gleitzeit::task_result;
using namespace std::chrono_literals;

namespace {

// The host of one provider, on an io_context the test runs: post() is Asio's (thread-safe,
// as the provider's io thread needs), and what the provider logs and emits is recorded when
// it reaches the strand, which is the test's thread.
class strand_host : public gleitzeit::host {
public:
    explicit strand_host(boost::asio::io_context& io) : io_(io) {}
    void post(std::function<void()> fn) override { boost::asio::post(io_, std::move(fn)); }
    void post_blocking(std::function<void()> fn) override { boost::asio::post(io_, std::move(fn)); }
    timer_id start_timer(std::chrono::milliseconds, std::function<void()>) override { return 0; }
    void cancel_timer(timer_id) override {}
    void log(gleitzeit::log_level, std::string_view message) override {
        logs.emplace_back(message);
    }
    void metric(std::string_view, double) override {}
    void emit(std::string_view event, json::object payload) override {
        emitted.emplace_back(std::string(event), std::move(payload));
    }

    std::vector<std::string> logs;
    std::vector<std::pair<std::string, json::object>> emitted;

private:
    boost::asio::io_context& io_;
};

const std::string junk_server = R"({"name": "junk", "transport": "stdio", "command": [")" MCP_TEST_NODE
                                R"(", ")" MCP_GARBAGE_SERVER R"("]})";

struct provider_fixture {
    explicit provider_fixture(const std::string& servers = "[" + junk_server + "]")
        : provider(json::parse(R"({"servers": )" + servers +
                               R"(, "restart_backoff": {"initial": 50, "max": 100}})")
                       .as_object()) {
        provider.start(host);
    }
    ~provider_fixture() { provider.stop(); }

    /// Runs the loop until `done()` or 10 s, whichever comes first.
    bool run_until(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io.restart();
            io.run_for(20ms);
        }
        return done();
    }

    /// Runs the loop for `d`, also while it has no work (io_context::run_for would return).
    void wait(std::chrono::milliseconds d) {
        const auto deadline = std::chrono::steady_clock::now() + d;
        while (std::chrono::steady_clock::now() < deadline) {
            io.restart();
            io.run_for(5ms);
            std::this_thread::sleep_for(1ms);
        }
    }

    /// Starts a call; its result lands in `results` on the test's thread.
    void call(const std::string& task_id, const std::string& method, const std::string& params,
              std::chrono::milliseconds timeout = 10000ms) {
        inside_execute = true;
        provider.execute({task_id, "mcp/v1", method, json::parse(params).as_object(), timeout},
                         [this](task_result r) {
                             // done runs on the provider's io thread; on this thread only if
                             // called inside execute(), which reads the flag (no race).
                             if (std::this_thread::get_id() == test_thread && inside_execute)
                                 reentered = true;
                             boost::asio::post(io, [this, r = std::move(r)]() mutable {
                                 results.push_back(std::move(r));
                             });
                         });
        inside_execute = false;
    }

    /// The pid of the server's latest start, from the log.
    int server_pid() const {
        static const std::regex started("server 'junk' started \\(pid (\\d+)\\)");
        int pid = 0;
        std::smatch m;
        for (const auto& line : host.logs)
            if (std::regex_search(line, m, started))
                pid = std::stoi(m[1]);
        return pid;
    }

    boost::asio::io_context io;
    strand_host host{io};
    gleitzeit::provider_mcp provider;
    std::vector<task_result> results;
    const std::thread::id test_thread = std::this_thread::get_id();
    bool inside_execute = false;
    bool reentered = false;
};

std::vector<std::string> method_names(const gleitzeit::provider_mcp& p) {
    std::vector<std::string> out;
    for (const auto& spec : p.protocols())
        for (const auto& m : spec.methods)
            out.push_back(spec.id + " " + m.name);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_mcp)

BOOST_AUTO_TEST_CASE(provider_serves_a_stdio_server_and_stop_leaves_nothing_behind) {
    provider_fixture f;
    BOOST_TEST(f.provider.protocols().empty()); // nothing listed yet
    BOOST_TEST_REQUIRE(f.run_until([&] { return !f.provider.protocols().empty(); }));
    BOOST_TEST((method_names(f.provider) ==
                std::vector<std::string>{"mcp/v1 resources.list", "mcp/v1 resource.read",
                                         "mcp/v1 prompts.list", "mcp/v1 prompt.get",
                                         "mcp/v1 tool.ask", "mcp/v1 tool.shout",
                                         "mcp/v1 tool.flood"}));
    BOOST_TEST_REQUIRE(f.run_until([&] { return !f.host.emitted.empty(); }));
    BOOST_TEST(f.host.emitted[0].first == "protocols_changed");
    const int pid = f.server_pid();
    BOOST_TEST_REQUIRE(pid > 0);

    f.call("a", "tool.shout", R"({"text": "abc"})");
    f.call("b", "tool.nope", R"({})");
    f.call("c", "resource.read", R"({"uri": 5})");
    f.call("d", "prompt.get", R"({"name": "p"})"); // the server did not declare prompts
    // The server's own requests: ping is answered, what a client without capabilities
    // does not offer is refused with -32601.
    f.call("p", "tool.ask", R"({"method": "ping"})");
    f.call("q", "tool.ask", R"({"method": "roots/list"})");
    BOOST_TEST_REQUIRE(f.run_until([&] { return f.results.size() == 6; }));
    BOOST_TEST(!f.reentered);
    std::map<std::string, const task_result*> by_id;
    for (const auto& r : f.results)
        by_id[r.task_id] = &r;
    BOOST_TEST_REQUIRE(by_id.at("a")->ok());
    BOOST_TEST(json::serialize(*by_id.at("a")->result) ==
               R"({"content":[{"type":"text","text":"ABC"}],"result":"ABC"})");
    BOOST_TEST(by_id.at("a")->provider == "provider-mcp");
    const auto error_of = [&](const char* id) { return *by_id.at(id)->error; };
    BOOST_TEST((error_of("b").code == error_code::not_found));
    BOOST_TEST(error_of("b").message == "mcp/v1 has no method 'tool.nope'");
    BOOST_TEST((error_of("c").code == error_code::invalid_argument));
    BOOST_TEST(error_of("c").message == "resource.read: params.uri must be a string, got an integer");
    BOOST_TEST(error_of("c").retryable == false);
    BOOST_TEST((error_of("d").code == error_code::not_found));
    BOOST_TEST(error_of("d").message == "no configured MCP server offers prompts");
    const auto result_of = [&](const char* id) {
        BOOST_TEST_REQUIRE(by_id.at(id)->ok());
        return json::serialize(by_id.at(id)->result->at("result"));
    };
    BOOST_TEST(result_of("p") == R"("result {}")");
    BOOST_TEST(result_of("q") == R"("error -32601 provider-mcp does not offer roots/list")");

    // A call the server never answers: cancel ends it.
    f.results.clear();
    f.call("e", "tool.flood", R"({"lines": 1})");
    f.wait(200ms);
    BOOST_TEST(f.results.empty());
    f.provider.cancel("e");
    BOOST_TEST_REQUIRE(f.run_until([&] { return f.results.size() == 1; }));
    BOOST_TEST((f.results[0].error->code == error_code::cancelled));
    BOOST_TEST(f.results[0].error->message == "cancelled");

    // And stop() ends one that is open, kills the server and reaps it before it returns.
    f.results.clear();
    f.call("g", "tool.flood", R"({"lines": 1})");
    f.wait(200ms);
    f.provider.stop();
    BOOST_TEST_REQUIRE(f.run_until([&] { return f.results.size() == 1; }));
    BOOST_TEST((f.results[0].error->code == error_code::cancelled));
    BOOST_TEST(f.results[0].error->message == "provider-mcp is stopped");
    errno = 0;
    BOOST_TEST(::kill(pid, 0) == -1);
    BOOST_TEST(errno == ESRCH);

    // After stop a call is answered at once, the one time done runs inside execute().
    f.results.clear();
    f.call("h", "tool.shout", R"({"text": "x"})");
    BOOST_TEST(f.reentered);
}

BOOST_AUTO_TEST_CASE(provider_publishes_once_every_server_started_or_failed) {
    // "gone" cannot start; it must not keep junk's tools from being served, and a call for it
    // fails retryable each time a start fails.
    provider_fixture f(R"([{"name": "gone", "transport": "stdio", "command": ["/nonexistent/mcp"]}, )" +
                       junk_server + "]");
    BOOST_TEST_REQUIRE(f.run_until([&] { return !f.provider.protocols().empty(); }));
    BOOST_TEST(method_names(f.provider).back() == "mcp/v1 tool.flood");
    const auto gone_down = [&] {
        for (const auto& line : f.host.logs)
            if (line.starts_with("server 'gone' is down: cannot start '/nonexistent/mcp'") &&
                line.ends_with("; restarting in 50 ms"))
                return true;
        return false;
    };
    BOOST_TEST(gone_down());

    f.call("r", "resources.list", R"({"server": "gone"})");
    BOOST_TEST_REQUIRE(f.run_until([&] { return f.results.size() == 1; }));
    const auto& e = *f.results[0].error;
    BOOST_TEST((e.code == error_code::provider_error));
    BOOST_TEST(e.retryable);
    BOOST_TEST(e.message.starts_with("MCP server 'gone' went away: cannot start '/nonexistent/mcp'"), e.message);
}

BOOST_AUTO_TEST_SUITE_END()
