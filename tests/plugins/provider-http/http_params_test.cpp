// provider-http's reading of params and config: the request each params object becomes (URL
// with its query, headers, body), the exact refusal of each bad param and config value, and
// the spec the registry checks at submit.

#include "http_config.hpp"
#include "http_params.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace json = boost::json;
using namespace gleitzeit::provider_http_detail;

namespace {

json::object obj(const char* text) {
    return json::parse(text).as_object();
}

/// "code: message" of what `fn` throws; "" when it does not throw.
template <class F> std::string refusal(F fn) {
    try {
        fn();
    } catch (const gleitzeit::error& e) {
        return std::string(gleitzeit::to_string(e.code())) + ": " + e.what();
    }
    return "";
}

std::string show(const header_list& h) {
    std::string out;
    for (const auto& [n, v] : h)
        out += n + "=" + v + ";";
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_http)

BOOST_AUTO_TEST_CASE(query_building_table) {
    struct row {
        const char* url;
        const char* query;
        const char* out;
    };
    const std::vector<row> table{
        {"http://h/p", "{}", "http://h/p"},
        {"http://h/p", R"({"a":"1"})", "http://h/p?a=1"},
        {"http://h/p?x=0", R"({"a":"1"})", "http://h/p?x=0&a=1"},
        {"http://h/p?", R"({"a":"1"})", "http://h/p?a=1"},
        {"http://h/p#frag", R"({"a":"1"})", "http://h/p?a=1"},
        {"http://h", R"({"q":"a b&c=d/é"})", "http://h?q=a%20b%26c%3Dd%2F%C3%A9"},
        {"http://h/", R"({"n":5,"f":1.5,"t":true,"e":""})", "http://h/?n=5&f=1.5&t=true&e="},
        {"http://h/", R"({"tag":["a","b",3]})", "http://h/?tag=a&tag=b&tag=3"},
        {"http://h/", R"({"sp ace":"-._~"})", "http://h/?sp%20ace=-._~"},
    };
    for (const row& r : table)
        BOOST_TEST(append_query(r.url, obj(r.query)) == r.out, r.url << " " << r.query);
    BOOST_TEST(refusal([] { append_query("http://h/", obj(R"({"x":{"y":1}})")); }) ==
               "invalid_argument: request: params.query.x must be a string, number or boolean, got an object");
    BOOST_TEST(refusal([] { append_query("http://h/", obj(R"({"x":[null]})")); }) ==
               "invalid_argument: request: params.query.x[] must be a string, number or boolean, got null");
}

BOOST_AUTO_TEST_CASE(request_params_become_the_first_request) {
    http_config config;
    const request_params get = read_request(obj(R"({"url":"http://h/x"})"), config);
    BOOST_TEST(get.first.method == "GET");
    BOOST_TEST(get.first.url == "http://h/x");
    BOOST_TEST(show(get.first.headers) == "User-Agent=gleitzeit-provider-http/1.0;");
    BOOST_TEST(get.first.body == "");
    BOOST_TEST(get.timeout.count() == 30000);

    const request_params post = read_request(
        obj(R"({"method":"POST","url":"https://h/x","query":{"k":"v"},
                "headers":{"X-Key":"abc","User-Agent":"me"},"json":{"a":[1,"b"]},"timeout":2.5})"),
        config);
    BOOST_TEST(post.first.method == "POST");
    BOOST_TEST(post.first.url == "https://h/x?k=v");
    BOOST_TEST(show(post.first.headers) == "X-Key=abc;User-Agent=me;Content-Type=application/json;");
    BOOST_TEST(post.first.body == R"({"a":[1,"b"]})");
    BOOST_TEST(post.timeout.count() == 2500);

    const request_params text = read_request(
        obj(R"({"method":"PUT","url":"http://h/","body":"raw","headers":{"content-type":"text/csv"}})"),
        config);
    BOOST_TEST(text.first.body == "raw");
    BOOST_TEST(show(text.first.headers) == "content-type=text/csv;User-Agent=gleitzeit-provider-http/1.0;");

    const request_params null_json = read_request(obj(R"({"url":"http://h/","json":null})"), config);
    BOOST_TEST(null_json.first.body == "null");
}

BOOST_AUTO_TEST_CASE(request_params_refusals_are_exact) {
    http_config config;
    const std::vector<std::pair<const char*, std::string>> table{
        {R"({})", "request: params.url is missing"},
        {R"({"url":5})", "request: params.url must be a string, got an integer"},
        {R"({"url":"http://h/","method":"FOO"})",
         "request: params.method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, got 'FOO'"},
        {R"({"url":"http://h/","method":"get"})",
         "request: params.method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, got 'get'"},
        {R"({"url":"http://h/","method":1})",
         "request: params.method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, got an integer"},
        {R"({"url":"http://h/","extra":1})", "request: unknown param 'extra'"},
        {R"({"url":"http://h/","json":{},"body":""})", "request: params.json and params.body exclude each other"},
        {R"({"url":"http://h/","body":{}})", "request: params.body must be a string, got an object"},
        {R"({"url":"http://h/","headers":[]})", "request: params.headers must be an object, got an array"},
        {R"({"url":"http://h/","headers":{"X-N":1}})", "request: params.headers.X-N must be a string, got an integer"},
        {R"({"url":"http://h/","headers":{"Host":"x"}})", "request: params.headers.Host: set by provider-http, not by the caller"},
        {R"({"url":"http://h/","headers":{"Content-Length":"1"}})",
         "request: params.headers.Content-Length: set by provider-http, not by the caller"},
        {R"({"url":"http://h/","headers":{"Bad Name":"x"}})", "request: params.headers.Bad Name: not a valid header name"},
        {R"({"url":"http://h/","headers":{"X":"a\r\nB: c"}})", "request: params.headers.X must not contain a line break or NUL"},
        {R"({"url":"http://h/","query":"a=b"})", "request: params.query must be an object, got a string"},
        {R"({"url":"http://h/","timeout":0})", "request: params.timeout must be a number of seconds from 0.001 to 3600, got 0"},
        {R"({"url":"http://h/","timeout":"5"})", "request: params.timeout must be a number of seconds from 0.001 to 3600, got a string"},
        {R"({"url":"http://h/","timeout":3601})", "request: params.timeout must be a number of seconds from 0.001 to 3600, got 3601"},
    };
    for (const auto& [params, message] : table)
        BOOST_TEST(refusal([&] { read_request(obj(params), config); }) == "invalid_argument: " + message,
                   params);
}

BOOST_AUTO_TEST_CASE(percent_encoding_keeps_only_unreserved_characters) {
    BOOST_TEST(percent_encode("AZaz09-._~") == "AZaz09-._~");
    BOOST_TEST(percent_encode(" !\"#$%&'()*+,/:;=?@[]") ==
               "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D");
    BOOST_TEST(percent_encode(std::string("\0\xff", 2)) == "%00%FF");
}

BOOST_AUTO_TEST_CASE(config_defaults_and_values) {
    const http_config d = read_config({});
    BOOST_TEST(d.allow->empty());
    BOOST_TEST(d.max_redirects == 5u);
    BOOST_TEST(d.max_body == 10u * 1024 * 1024);
    BOOST_TEST(d.max_concurrency == 32u);
    BOOST_TEST(d.timeout.count() == 30000);
    BOOST_TEST(d.user_agent == "gleitzeit-provider-http/1.0");
    BOOST_TEST(d.ca_file == "");
    const http_config c = read_config(obj(R"({"allow":["a.org"],"max_redirects":0,"max_body":1,
        "max_concurrency":10000,"timeout":0.5,"user_agent":"ua/2","ca_file":"/etc/hostname"})"));
    BOOST_TEST(c.allow->allows("a.org", 80));
    BOOST_TEST(c.max_redirects == 0u);
    BOOST_TEST(c.max_body == 1u);
    BOOST_TEST(c.max_concurrency == 10000u);
    BOOST_TEST(c.timeout.count() == 500);
    BOOST_TEST(c.user_agent == "ua/2");
    BOOST_TEST(c.ca_file == "/etc/hostname");
}

BOOST_AUTO_TEST_CASE(config_refusals_are_exact) {
    const std::string p = "invalid_argument: provider-http: ";
    const std::vector<std::pair<const char*, std::string>> table{
        {R"({"alow":[]})", "unknown config key 'alow'"},
        {R"({"allow":"*"})", "allow must be an array of strings, got a string"},
        {R"({"allow":["ok", 3]})", "allow[1]: must be a string"},
        {R"({"max_redirects":21})", "max_redirects must be an integer from 0 to 20, got 21"},
        {R"({"max_redirects":-1})", "max_redirects must be an integer from 0 to 20, got -1"},
        {R"({"max_body":0})", "max_body must be an integer from 1 to 1073741824, got 0"},
        {R"({"max_body":"1MB"})", "max_body must be an integer from 1 to 1073741824, got a string"},
        {R"({"max_concurrency":0})", "max_concurrency must be an integer from 1 to 10000, got 0"},
        {R"({"max_concurrency":1.5})", "max_concurrency must be an integer from 1 to 10000, got a floating-point number"},
        {R"({"timeout":0})", "timeout must be a number of seconds from 0.001 to 3600, got 0"},
        {R"({"timeout":true})", "timeout must be a number of seconds from 0.001 to 3600, got a boolean"},
        {R"({"user_agent":""})", "user_agent must be a non-empty string, got \"\""},
        {R"({"user_agent":"a\nb"})", "user_agent must not contain a line break"},
        {R"({"ca_file":"/nonexistent/ca.pem"})", "ca_file cannot read '/nonexistent/ca.pem'"},
    };
    for (const auto& [config, message] : table)
        BOOST_TEST(refusal([&] { read_config(obj(config)); }) == p + message, config);
}

BOOST_AUTO_TEST_CASE(spec_declares_request_with_precise_params) {
    const gleitzeit::protocol_spec spec = http_spec();
    BOOST_TEST(spec.id == "http/v1");
    BOOST_TEST_REQUIRE(spec.methods.size() == 1u);
    BOOST_TEST(spec.methods[0].name == "request");
    const json::object& p = spec.methods[0].params;
    BOOST_TEST(json::serialize(p.at("method").at("enum")) ==
               R"(["GET","POST","PUT","PATCH","DELETE","HEAD"])");
    BOOST_TEST(p.at("url").at("required") == true);
    BOOST_TEST(p.at("url").at("type") == "string");
    BOOST_TEST(p.at("headers").at("type") == "object");
    BOOST_TEST(p.at("query").at("type") == "object");
    BOOST_TEST(p.at("json").at("type") == "any");
    BOOST_TEST(p.at("body").at("type") == "string");
    BOOST_TEST(p.at("timeout").at("type") == "number");
    BOOST_TEST(p.at("additional") == false);
}

BOOST_AUTO_TEST_SUITE_END()
