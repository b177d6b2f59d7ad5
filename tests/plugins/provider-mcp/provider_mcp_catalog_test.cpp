// The methods of mcp/v1 made from the servers' tool lists: names, the rule for a tool name two
// servers share, what is left out and the warnings that say so, the fixed methods for
// resources and prompts and their params, and reading a tools/list page.

#include "server_methods.hpp"
#include "tool_catalog.hpp"

#include "param_schema.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

namespace json = boost::json;
using namespace gleitzeit::provider_mcp_detail;

namespace {

tool_info tool(const std::string& name, const std::string& description = "") {
    return {name, description,
            json::parse(R"({"type":"object","properties":{"x":{"type":"string"}}})")};
}

std::vector<std::string> method_names(const tool_catalog& c) {
    std::vector<std::string> out;
    for (const auto& m : c.spec.methods)
        out.push_back(m.name);
    return out;
}

std::string refusal(std::string_view method, const std::string& params) {
    try {
        read_server_method(method, json::parse(params).as_object(), {"a", "b"});
    } catch (const gleitzeit::error& e) {
        BOOST_TEST((e.code() == gleitzeit::error_code::invalid_argument));
        return e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_mcp)

BOOST_AUTO_TEST_CASE(catalog_names_tools_and_gives_a_shared_name_to_the_first_server) {
    const std::vector<tool_info> a{tool("echo", "Echoes"), tool("add")};
    const std::vector<tool_info> b{tool("echo"), tool("join"), tool("join"), tool("")};
    const tool_catalog c = build_catalog({{"a", &a}, {"b", &b}, {"c", nullptr}});
    BOOST_TEST(c.spec.id == "mcp/v1");
    BOOST_TEST((method_names(c) ==
                std::vector<std::string>{"resources.list", "resource.read", "prompts.list",
                                         "prompt.get", "tool.echo", "tool.add", "tool.b.echo",
                                         "tool.join"}));
    BOOST_TEST(c.tools.at("tool.echo").server == 0u);
    BOOST_TEST(c.tools.at("tool.b.echo").server == 1u);
    BOOST_TEST(c.tools.at("tool.b.echo").tool == "echo");
    BOOST_TEST(c.tools.at("tool.join").server == 1u);
    BOOST_TEST((c.warnings ==
                std::vector<std::string>{
                    "tool 'echo' of server 'b' is also a tool of server 'a', which keeps "
                    "tool.echo; this one is tool.b.echo",
                    "server 'b' lists tool 'join' twice; the second is left out",
                    "server 'b' lists a tool with an empty name; it is left out"}));
    BOOST_TEST(c.spec.methods[4].description == "Echoes");
    BOOST_TEST(c.spec.methods[5].description == "tool 'add' of MCP server 'a'");
    BOOST_TEST(json::serialize(c.spec.methods[5].params) == R"({"x":{"type":"string"}})");
}

BOOST_AUTO_TEST_CASE(catalog_is_taken_whole_by_the_registry) {
    const std::vector<tool_info> a{tool("echo")};
    const tool_catalog c = build_catalog({{"a", &a}, {"b", nullptr}});
    for (const auto& m : c.spec.methods)
        BOOST_CHECK_NO_THROW(gleitzeit::registry_default_detail::compile_method_params(
            m.params, "protocol 'mcp/v1' method '" + m.name + "'"));
    BOOST_TEST(json::serialize(c.spec.methods[1].params.at("server")) ==
               R"x({"type":"string","enum":["a","b"],"description":"the configured MCP server to ask; absent: the first one that offers this (in config order)"})x");
}

BOOST_AUTO_TEST_CASE(catalog_reads_a_tools_list_page) {
    std::vector<tool_info> out;
    const std::size_t skipped = read_tools(json::parse(R"({"tools":[
        {"name":"echo","description":"E","inputSchema":{"type":"object"}},
        {"name":"t","title":"Titled"},
        {"description":"no name"}, 5]})"),
                                           out);
    BOOST_TEST(skipped == 2u);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0].name == "echo");
    BOOST_TEST(out[0].description == "E");
    BOOST_TEST(json::serialize(out[0].input_schema) == R"({"type":"object"})");
    BOOST_TEST(out[1].description == "Titled");
    BOOST_TEST(out[1].input_schema.is_null());
    std::vector<tool_info> none;
    BOOST_TEST(read_tools(json::parse(R"({"tool":[]})"), none) == 1u);
}

BOOST_AUTO_TEST_CASE(server_methods_make_their_mcp_requests) {
    const std::vector<std::string> servers{"a", "b"};
    auto read = read_server_method("resource.read", json::parse(R"({"uri":"demo://x","server":"b"})").as_object(), servers);
    BOOST_TEST_REQUIRE(read.has_value());
    BOOST_TEST(read->mcp_method == "resources/read");
    BOOST_TEST(read->capability == "resources");
    BOOST_TEST(*read->server == "b");
    BOOST_TEST(json::serialize(read->params) == R"({"uri":"demo://x"})");
    BOOST_TEST(read->shape_contents);

    auto prompt = read_server_method("prompt.get", json::parse(R"({"name":"p","arguments":{"k":"v"}})").as_object(), servers);
    BOOST_TEST_REQUIRE(prompt.has_value());
    BOOST_TEST(prompt->mcp_method == "prompts/get");
    BOOST_TEST(!prompt->server);
    BOOST_TEST(json::serialize(prompt->params) == R"({"name":"p","arguments":{"k":"v"}})");

    auto list = read_server_method("prompts.list", json::parse(R"({"cursor":"c2"})").as_object(), servers);
    BOOST_TEST_REQUIRE(list.has_value());
    BOOST_TEST(list->mcp_method == "prompts/list");
    BOOST_TEST(json::serialize(list->params) == R"({"cursor":"c2"})");

    BOOST_TEST(!read_server_method("tool.echo", {}, servers));
}

BOOST_AUTO_TEST_CASE(server_methods_refuse_bad_params_exactly) {
    BOOST_TEST(refusal("resource.read", "{}") == "resource.read: params.uri is missing");
    BOOST_TEST(refusal("resource.read", R"({"uri":5})") ==
               "resource.read: params.uri must be a string, got an integer");
    BOOST_TEST(refusal("resource.read", R"({"uri":"x","path":"y"})") ==
               "resource.read: unknown param 'path'");
    BOOST_TEST(refusal("resources.list", R"({"server":"c"})") ==
               "resources.list: params.server: no configured MCP server 'c' (configured: a, b)");
    BOOST_TEST(refusal("prompt.get", R"({"name":"p","arguments":{"n":1}})") ==
               "prompt.get: params.arguments.n must be a string, got an integer");
    BOOST_TEST(refusal("prompt.get", R"({"name":"p","arguments":[]})") ==
               "prompt.get: params.arguments must be an object, got an array");
    BOOST_TEST(refusal("prompts.list", R"({"cursor":null})") ==
               "prompts.list: params.cursor must be a string, got null");
}

BOOST_AUTO_TEST_SUITE_END()
