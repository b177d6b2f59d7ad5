// provider-http's allow list as tables: which host:port each list allows, which resolved
// addresses a request may connect to, how each address range is named, and the exact
// refusal of each bad entry.

#include "allow_list.hpp"

#include "gleitzeit/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace json = boost::json;
using gleitzeit::provider_http_detail::allow_list;

namespace {

allow_list list(const char* entries) {
    return allow_list::parse(json::parse(entries).as_array());
}

std::string refusal(const char* entries) {
    try {
        list(entries);
    } catch (const gleitzeit::error& e) {
        return std::string(gleitzeit::to_string(e.code())) + ": " + e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_http)

BOOST_AUTO_TEST_CASE(allow_list_decisions_table) {
    struct row {
        const char* entries;
        const char* host;
        std::uint16_t port;
        bool allowed;
        bool exact;
    };
    const std::vector<row> table{
        {"[]", "example.com", 80, false, false},
        {R"(["example.com"])", "example.com", 80, true, true},
        {R"(["example.com"])", "example.com", 8080, true, true},
        {R"(["Example.COM"])", "example.com", 443, true, true},
        {R"(["example.com"])", "api.example.com", 80, false, false},
        {R"(["example.com"])", "badexample.com", 80, false, false},
        {R"(["example.com:8443"])", "example.com", 8443, true, true},
        {R"(["example.com:8443"])", "example.com", 443, false, false},
        {R"(["*.example.com"])", "api.example.com", 443, true, false},
        {R"(["*.example.com"])", "a.b.example.com", 443, true, false},
        {R"(["*.example.com"])", "example.com", 443, false, false},
        {R"(["*.example.com"])", "evilexample.com", 443, false, false},
        {R"(["*.example.com:443"])", "api.example.com", 80, false, false},
        {R"(["*"])", "anything.org", 1234, true, false},
        {R"(["*:443"])", "anything.org", 443, true, false},
        {R"(["*:443"])", "anything.org", 80, false, false},
        {R"(["127.0.0.1:8080"])", "127.0.0.1", 8080, true, true},
        {R"(["127.0.0.1:8080"])", "127.0.0.1", 8081, false, false},
        {R"(["[::1]:8080"])", "::1", 8080, true, true},
        {R"(["::1"])", "::1", 9, true, true},
        {R"(["[0:0:0:0:0:0:0:1]"])", "::1", 9, true, true}, // compared in canonical form
        {R"(["a.org", "b.org:81"])", "b.org", 81, true, true},
    };
    for (const row& r : table) {
        const allow_list a = list(r.entries);
        BOOST_TEST(a.allows(r.host, r.port) == r.allowed, r.entries << " " << r.host << ":" << r.port);
        BOOST_TEST(a.lists_exactly(r.host, r.port) == r.exact, r.entries << " " << r.host << ":" << r.port);
    }
}

BOOST_AUTO_TEST_CASE(allow_list_address_checks_table) {
    struct row {
        const char* entries;
        const char* host;
        const char* address;
        std::uint16_t port;
        std::string reason; // "" when allowed
    };
    const std::string listed = " address is allowed only when its host or address is on the allow list";
    const std::vector<row> table{
        {R"(["*"])", "example.org", "93.184.216.34", 80, ""},
        {R"(["*"])", "example.org", "127.0.0.1", 80, "a loopback" + listed},
        {R"(["*"])", "example.org", "10.1.2.3", 80, "a private" + listed},
        {R"(["*.corp"])", "db.corp", "192.168.1.9", 80, "a private" + listed},
        {R"(["*"])", "example.org", "169.254.169.254", 80, "a link-local" + listed},
        {R"(["*"])", "example.org", "::ffff:127.0.0.1", 80, "a loopback" + listed},
        {R"(["*"])", "example.org", "::1", 80, "a loopback" + listed},
        {R"(["*"])", "example.org", "fd00::5", 80, "a private" + listed},
        {R"(["*"])", "example.org", "0.0.0.0", 80, "an unspecified" + listed},
        {R"(["localhost"])", "localhost", "127.0.0.1", 80, ""},           // host listed
        {R"(["localhost:81"])", "localhost", "127.0.0.1", 80, "a loopback" + listed},
        {R"(["*", "127.0.0.1"])", "rebind.example", "127.0.0.1", 80, ""}, // address listed
        {R"(["*", "127.0.0.1:90"])", "rebind.example", "127.0.0.1", 80, "a loopback" + listed},
        {R"(["internal.corp"])", "internal.corp", "10.0.0.7", 443, ""},
        {R"(["*"])", "x", "not-an-address", 80, "not an IP address"},
    };
    for (const row& r : table)
        BOOST_TEST(list(r.entries).check_address(r.host, r.address, r.port) == r.reason,
                   r.entries << " " << r.host << " -> " << r.address);
}

BOOST_AUTO_TEST_CASE(special_range_table) {
    using gleitzeit::provider_http_detail::special_range;
    const std::vector<std::pair<const char*, const char*>> table{
        {"8.8.8.8", ""},           {"127.0.0.1", "loopback"},  {"127.255.0.9", "loopback"},
        {"10.0.0.1", "private"},   {"172.16.0.1", "private"},  {"172.31.255.255", "private"},
        {"172.32.0.1", ""},        {"192.168.0.1", "private"}, {"169.254.1.1", "link-local"},
        {"100.64.0.1", "shared"},  {"100.128.0.1", ""},        {"0.0.0.0", "unspecified"},
        {"224.0.0.1", "multicast"}, {"255.255.255.255", "reserved"}, {"198.18.0.1", "reserved"},
        {"::", "unspecified"},     {"::1", "loopback"},        {"fe80::1", "link-local"},
        {"fc00::1", "private"},    {"ff02::1", "multicast"},   {"2606:4700::1111", ""},
        {"::ffff:10.0.0.1", "private"}, {"64:ff9b::7f00:1", "loopback"},
    };
    for (const auto& [address, range] : table)
        BOOST_TEST(special_range(boost::asio::ip::make_address(address)) == range, address);
}

BOOST_AUTO_TEST_CASE(allow_list_refuses_bad_entries_exactly) {
    const std::string p = "invalid_argument: provider-http: allow[";
    BOOST_TEST(refusal(R"([1])") == p + "0]: must be a string");
    BOOST_TEST(refusal(R"(["ok.org", ""])") == p + "1]: empty entry");
    BOOST_TEST(refusal(R"(["h:0"])") == p + "0]: bad port in 'h:0'");
    BOOST_TEST(refusal(R"(["h:99999"])") == p + "0]: bad port in 'h:99999'");
    BOOST_TEST(refusal(R"(["h:"])") == p + "0]: bad port in 'h:'");
    BOOST_TEST(refusal(R"([":80"])") == p + "0]: no host in ':80'");
    BOOST_TEST(refusal(R"(["*."])") == p + "0]: no host in '*.'");
    BOOST_TEST(refusal(R"(["a/b"])") == p + "0]: bad character in host of 'a/b'");
    BOOST_TEST(refusal(R"(["*.*.org"])") == p + "0]: bad character in host of '*.*.org'");
    BOOST_TEST(refusal(R"(["http://a.org"])") == p + "0]: bad port in 'http://a.org'");
    BOOST_TEST(refusal(R"(["[::1"])") == p + "0]: unclosed '[' in '[::1'");
    BOOST_TEST(refusal(R"(["[zz]"])") == p + "0]: bad IPv6 address in '[zz]'");
    BOOST_TEST(refusal(R"(["[::1]x"])") == p + "0]: unexpected text after ']' in '[::1]x'");
    BOOST_TEST(refusal(R"(["a.org", "*", "[::1]:1", "10.0.0.1"])") == "");
}

BOOST_AUTO_TEST_SUITE_END()
