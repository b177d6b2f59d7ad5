// provider-io's URL parsing for the HTTP client: what each URL connects to and asks for, and
// the reason each bad one is refused.

#include "http_url.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace pio = gleitzeit::provider_io;

BOOST_AUTO_TEST_SUITE(provider_io)

BOOST_AUTO_TEST_CASE(http_url_parts_table) {
    struct row {
        std::string url;
        std::string parts; // tls host port target host_header
    };
    const std::vector<row> table{
        {"http://example.org", "0 example.org 80 / example.org"},
        {"HTTPS://Example.ORG/a/b?c=d#frag", "1 example.org 443 /a/b?c=d example.org"},
        {"http://127.0.0.1:8080/x", "0 127.0.0.1 8080 /x 127.0.0.1:8080"},
        {"https://[::1]:8443/", "1 ::1 8443 / [::1]:8443"},
        {"http://[::1]/", "0 ::1 80 / [::1]"},
        {"http://h:443?q=1", "0 h 443 /?q=1 h:443"},
        {"https://h:443/", "1 h 443 / h"},
        {"http://h:/", "0 h 80 / h"},
    };
    for (const row& r : table) {
        std::string why;
        auto u = pio::parse_http_url(r.url, why);
        BOOST_TEST_REQUIRE(u.has_value(), r.url << ": " << why);
        BOOST_TEST(std::to_string(u->tls) + " " + u->host + " " + std::to_string(u->port) + " " +
                       u->target + " " + u->host_header() ==
                   r.parts);
    }
}

BOOST_AUTO_TEST_CASE(http_url_refusals_table) {
    const std::vector<std::pair<std::string, std::string>> table{
        {"", "not an http:// or https:// URL"},
        {"ftp://h/", "not an http:// or https:// URL"},
        {"//h/", "not an http:// or https:// URL"},
        {"http://", "no host"},
        {"http:///path", "no host"},
        {"http://:80/", "no host"},
        {"http://h:0/", "port out of range"},
        {"http://h:65536/", "port out of range"},
        {"http://h:8x/", "bad port"},
        {"http://u:p@h/", "user info in the URL is not supported"},
        {"http://h/a b", "contains a space or control character"},
        {"http://h/a\r\nX: y", "contains a space or control character"},
        {"http://h%41/", "bad character in host name"},
        {"http://[::1/", "unclosed '[' in host"},
        {"http://[zz]/", "bad IPv6 address 'zz'"},
        {"http://[::1]x/", "unexpected text after ']'"},
    };
    for (const auto& [url, reason] : table) {
        std::string why;
        BOOST_TEST(!pio::parse_http_url(url, why).has_value(), url);
        BOOST_TEST(why == reason, url);
    }
}

BOOST_AUTO_TEST_SUITE_END()
