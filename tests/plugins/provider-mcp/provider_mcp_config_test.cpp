// provider-mcp's config: what it reads (defaults and every key) and every refusal with its
// exact message, also through the provider's constructor, which is where the hub meets it.

#include "mcp_config.hpp"
#include "provider_mcp.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

namespace json = boost::json;
using namespace gleitzeit::provider_mcp_detail;

namespace {

json::object obj(const std::string& text) {
    return json::parse(text).as_object();
}

/// The message of the error(invalid_argument) that reading `text` throws; "" if none.
std::string refusal(const std::string& text) {
    try {
        read_config(obj(text));
    } catch (const gleitzeit::error& e) {
        BOOST_TEST((e.code() == gleitzeit::error_code::invalid_argument));
        return e.what();
    }
    return "";
}

const std::string stdio_server = R"({"name": "s", "transport": "stdio", "command": ["node"]})";

} // namespace

BOOST_AUTO_TEST_SUITE(provider_mcp)

BOOST_AUTO_TEST_CASE(config_reads_every_key_and_defaults_the_rest) {
    const mcp_config c = read_config(obj(R"({
        "servers": [
          {"name": "everything", "transport": "stdio", "command": ["node", "server.js", "stdio"],
           "env": {"A": "1", "B": "2"}, "cwd": "/tmp"},
          {"name": "web", "transport": "http", "url": "http://127.0.0.1:3001/mcp",
           "headers": {"Authorization": "Bearer x"}}],
        "max_concurrency": 8, "call_timeout": 5000,
        "restart_backoff": {"initial": 100, "max": 2000}})"));
    BOOST_TEST_REQUIRE(c.servers.size() == 2u);
    const server_config& s = c.servers[0];
    BOOST_TEST(s.name == "everything");
    BOOST_TEST((s.transport == transport_kind::stdio));
    BOOST_TEST((s.command == std::vector<std::string>{"node", "server.js", "stdio"}));
    BOOST_TEST((s.env == std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", "2"}}));
    BOOST_TEST(s.cwd == "/tmp");
    const server_config& w = c.servers[1];
    BOOST_TEST(w.name == "web");
    BOOST_TEST((w.transport == transport_kind::http));
    BOOST_TEST(w.url == "http://127.0.0.1:3001/mcp");
    BOOST_TEST((w.headers ==
                std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer x"}}));
    BOOST_TEST(c.max_concurrency == 8u);
    BOOST_TEST(c.call_timeout.count() == 5000);
    BOOST_TEST(c.restart_initial.count() == 100);
    BOOST_TEST(c.restart_max.count() == 2000);

    const mcp_config d = read_config(obj(R"({"servers": [)" + stdio_server + "]}"));
    BOOST_TEST(d.max_concurrency == 16u);
    BOOST_TEST(d.call_timeout.count() == 300000);
    BOOST_TEST(d.restart_initial.count() == 500);
    BOOST_TEST(d.restart_max.count() == 30000);
}

BOOST_AUTO_TEST_CASE(config_refusals_name_the_key) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({})", "provider-mcp: 'servers' is missing (at least one MCP server)"},
        {R"({"servers": []})", "provider-mcp: servers: must be a non-empty array of tables"},
        {R"({"servers": [)" + stdio_server + R"(], "retries": 3})",
         "provider-mcp: unknown config key 'retries'"},
        {R"({"servers": ["x"]})", "provider-mcp: servers[0]: must be a table, got a string"},
        {R"({"servers": [{"transport": "stdio", "command": ["a"]}]})",
         "provider-mcp: servers[0]: 'name' is missing"},
        {R"({"servers": [{"name": "a.b", "transport": "stdio", "command": ["a"]}]})",
         "provider-mcp: servers[0].name: \"a.b\" must be letters, digits, '-' and '_' only"},
        {R"({"servers": [{"name": "a", "command": ["a"]}]})",
         "provider-mcp: servers[0]: 'transport' is missing (\"stdio\" or \"http\")"},
        {R"({"servers": [{"name": "a", "transport": "sse"}]})",
         "provider-mcp: servers[0].transport: must be \"stdio\" or \"http\", got \"sse\""},
        {R"({"servers": [{"name": "a", "transport": "stdio"}]})",
         "provider-mcp: servers[0]: 'command' is missing (the server's argv, e.g. [\"node\", "
         "\"server.js\"])"},
        {R"({"servers": [{"name": "a", "transport": "stdio", "command": []}]})",
         "provider-mcp: servers[0].command: must be a non-empty array of strings"},
        {R"({"servers": [{"name": "a", "transport": "stdio", "command": ["a", 1]}]})",
         "provider-mcp: servers[0].command[1]: must be a string, got an integer"},
        {R"({"servers": [{"name": "a", "transport": "stdio", "command": ["a"], "url": "x"}]})",
         "provider-mcp: servers[0].url: applies only to transport \"http\""},
        {R"({"servers": [{"name": "a", "transport": "http", "url": "http://h/", "cwd": "/"}]})",
         "provider-mcp: servers[0].cwd: applies only to transport \"stdio\""},
        {R"({"servers": [{"name": "a", "transport": "stdio", "command": ["a"], "args": []}]})",
         "provider-mcp: servers[0]: unknown key 'args'"},
        {R"({"servers": [{"name": "a", "transport": "stdio", "command": ["a"], "env": {"X": 1}}]})",
         "provider-mcp: servers[0].env.X: must be a string, got an integer"},
        {R"({"servers": [{"name": "a", "transport": "http"}]})",
         "provider-mcp: servers[0]: 'url' is missing (e.g. \"http://127.0.0.1:3001/mcp\")"},
        {R"({"servers": [{"name": "a", "transport": "http", "url": "ftp://h/"}]})",
         "provider-mcp: servers[0].url: must start with http:// or https://, got \"ftp://h/\""},
        {R"({"servers": [{"name": "a", "transport": "http", "url": "http://h/",
             "headers": {"mcp-session-id": "x"}}]})",
         "provider-mcp: servers[0].headers.mcp-session-id: is set by provider-mcp itself"},
        {R"({"servers": [)" + stdio_server + "," + stdio_server + "]}",
         "provider-mcp: servers[1].name: \"s\" is already the name of servers[0]"},
        {R"({"servers": [)" + stdio_server + R"(], "max_concurrency": 0})",
         "provider-mcp: max_concurrency: must be an integer from 1 to 100000, got 0"},
        {R"({"servers": [)" + stdio_server + R"(], "call_timeout": "5s"})",
         "provider-mcp: call_timeout: must be an integer from 1 to 86400000, got a string"},
        {R"({"servers": [)" + stdio_server + R"(], "restart_backoff": {"initial": 10, "step": 2}})",
         "provider-mcp: restart_backoff: unknown key 'step'"},
        {R"({"servers": [)" + stdio_server + R"(], "restart_backoff": {"initial": 5000, "max": 100}})",
         "provider-mcp: restart_backoff: initial (5000) is above max (100)"},
        {R"({"servers": [)" + stdio_server + R"(], "restart_backoff": 5})",
         "provider-mcp: restart_backoff: must be a table, got an integer"},
    };
    for (const auto& [text, message] : cases)
        BOOST_TEST(refusal(text) == message, text);
}

BOOST_AUTO_TEST_CASE(the_constructor_refuses_what_read_config_refuses) {
    try {
        gleitzeit::provider_mcp p(obj(R"({"servers": [)" + stdio_server + R"(], "x": 1})"));
        BOOST_FAIL("accepted an unknown key");
    } catch (const gleitzeit::error& e) {
        BOOST_TEST((e.code() == gleitzeit::error_code::invalid_argument));
        BOOST_TEST(std::string(e.what()) == "provider-mcp: unknown config key 'x'");
    }
    // A good config makes a provider that serves nothing until started and listed.
    gleitzeit::provider_mcp p(obj(R"({"servers": [)" + stdio_server + R"(], "max_concurrency": 3})"));
    BOOST_TEST(p.max_concurrency() == 3u);
    BOOST_TEST(p.protocols().empty());
}

BOOST_AUTO_TEST_SUITE_END()
