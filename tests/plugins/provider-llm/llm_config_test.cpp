// provider-llm's config table: the defaults, each key read, and every refusal with its exact
// message naming the key.

#include "llm_config.hpp"
#include "provider_llm.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <map>
#include <string>

namespace json = boost::json;
using namespace gleitzeit::provider_llm_detail;
using namespace std::chrono_literals;

namespace {

const char* test_env(const char* name) {
    static const std::map<std::string, std::string> vars{{"LLM_TEST_KEY", "sk-test-123"},
                                                         {"LLM_EMPTY", ""}};
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
}

llm_config read(const char* text) {
    return read_config(json::parse(text).as_object(), test_env);
}

/// The code and message the config is refused with; "" when it is accepted.
std::string refusal(const char* text) {
    try {
        read(text);
    } catch (const gleitzeit::error& e) {
        return std::string(gleitzeit::to_string(e.code())) + ": " + e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_llm_config)

BOOST_AUTO_TEST_CASE(an_empty_table_is_a_local_ollama_with_the_documented_defaults) {
    const llm_config c = read("{}");
    BOOST_TEST(to_string(c.api) == "ollama");
    BOOST_TEST(c.url == "http://127.0.0.1:11434");
    BOOST_TEST(c.api_key.empty());
    BOOST_TEST(c.default_model.empty());
    BOOST_TEST(c.stream);
    BOOST_TEST(c.connect_timeout.count() == 5000);
    BOOST_TEST(c.first_byte_timeout.count() == 60000);
    BOOST_TEST(c.call_timeout.count() == 300000);
    BOOST_TEST(c.health_interval.count() == 10000);
    BOOST_TEST(c.max_concurrency == 4u);
    BOOST_TEST(c.max_file_bytes == 10u << 20);
    BOOST_TEST(c.max_body == 16u << 20);
    BOOST_TEST(c.file_root.empty());
}

BOOST_AUTO_TEST_CASE(every_key_is_read) {
    const llm_config c = read(R"({"backend": "openai", "url": "https://llm.example:8443/v1/",
        "api_key_env": "LLM_TEST_KEY", "default_model": "gpt-x", "stream": false,
        "connect_timeout": 100, "first_byte_timeout": 200, "call_timeout": 300,
        "health_interval": 0, "max_concurrency": 9, "max_file_bytes": 1234, "max_body": 4096,
        "file_root": "/tmp"})");
    BOOST_TEST(to_string(c.api) == "openai");
    // A trailing "/v1" and slashes are dropped: the paths called start with /v1.
    BOOST_TEST(c.url == "https://llm.example:8443");
    BOOST_TEST(c.api_key_env == "LLM_TEST_KEY");
    BOOST_TEST(c.api_key == "sk-test-123");
    BOOST_TEST(c.default_model == "gpt-x");
    BOOST_TEST(!c.stream);
    BOOST_TEST(c.connect_timeout.count() == 100);
    BOOST_TEST(c.first_byte_timeout.count() == 200);
    BOOST_TEST(c.call_timeout.count() == 300);
    BOOST_TEST(c.health_interval.count() == 0);
    BOOST_TEST(c.max_concurrency == 9u);
    BOOST_TEST(c.max_file_bytes == 1234u);
    BOOST_TEST(c.max_body == 4096u);
    BOOST_TEST(c.file_root == "/tmp");
    // Ollama's url keeps a /v1: it has no such prefix, so the user meant it.
    BOOST_TEST(read(R"({"url": "http://h:1/v1"})").url == "http://h:1/v1");
}

BOOST_AUTO_TEST_CASE(bad_tables_are_refused_naming_the_key) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"api_key": "sk-1"})",
         "provider-llm: api_key is not read from the config file: put the key in an "
         "environment variable and name that variable in api_key_env"},
        {R"({"modle": "x"})",
         "provider-llm: unknown config key 'modle' (known: backend, url, api_key_env, "
         "default_model, stream, connect_timeout, first_byte_timeout, call_timeout, "
         "health_interval, max_concurrency, max_file_bytes, max_body, file_root)"},
        {R"({"backend": "llamafile"})",
         "provider-llm: backend must be \"ollama\" or \"openai\", got \"llamafile\""},
        {R"({"backend": 1})", "provider-llm: backend must be a string, got an integer"},
        {R"({"backend": "openai"})",
         "provider-llm: url is required with backend \"openai\" (the server's base URL, e.g. "
         "\"http://127.0.0.1:8080\")"},
        {R"({"url": "ftp://h/"})",
         "provider-llm: url \"ftp://h/\" cannot be called: not an http:// or https:// URL"},
        {R"({"url": "http://h:1/x?y=1"})",
         "provider-llm: url must not have a query or fragment: \"http://h:1/x?y=1\""},
        {R"({"api_key_env": "LLM_NOT_SET"})",
         "provider-llm: api_key_env names LLM_NOT_SET, which is not set or empty"},
        {R"({"api_key_env": "LLM_EMPTY"})",
         "provider-llm: api_key_env names LLM_EMPTY, which is not set or empty"},
        {R"({"stream": "yes"})", "provider-llm: stream must be a boolean, got a string"},
        {R"({"max_concurrency": 0})",
         "provider-llm: max_concurrency must be an integer from 1 to 1024, got 0"},
        {R"({"call_timeout": 1.5})",
         "provider-llm: call_timeout must be an integer from 1 to 86400000, got a "
         "floating-point number"},
        {R"({"health_interval": 50})",
         "provider-llm: health_interval must be 0 (off) or at least 100 ms, got 50"},
        {R"({"max_body": 10})",
         "provider-llm: max_body must be an integer from 1024 to 1073741824, got 10"},
        {R"({"file_root": "relative/dir"})",
         "provider-llm: file_root must be an absolute path, got \"relative/dir\""},
        {R"({"file_root": "/no/such/dir"})",
         "provider-llm: file_root must name an existing directory, got \"/no/such/dir\""},
    };
    for (const auto& [config, message] : cases)
        BOOST_TEST(refusal(config) == std::string("invalid_argument: ") + message, config);
}

BOOST_AUTO_TEST_CASE(the_provider_refuses_a_bad_config_in_its_constructor) {
    BOOST_CHECK_EXCEPTION(gleitzeit::provider_llm(json::parse(R"({"x": 1})").as_object()),
                          gleitzeit::error, [](const gleitzeit::error& e) {
                              return e.code() == gleitzeit::error_code::invalid_argument &&
                                     std::strncmp(e.what(),
                                                  "provider-llm: unknown config key 'x'",
                                                  36) == 0;
                          });
    const gleitzeit::provider_llm p(json::parse(R"({"max_concurrency": 7})").as_object());
    BOOST_TEST(p.max_concurrency() == 7u);
}

BOOST_AUTO_TEST_SUITE_END()
