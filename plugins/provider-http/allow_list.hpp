#pragma once
// provider-http's allow list: which hosts and ports a request may go to, and which resolved
// addresses it may connect to (the SSRF guard).
//
// Entries (the config's `allow` array of strings):
//   "api.example.com"        that host, any port
//   "api.example.com:8443"   that host, that port only
//   "*.example.com"          any subdomain of example.com (not example.com itself), any port
//   "*.example.com:443"      the same, port 443 only
//   "*"                      any host, any port ("*:443": any host, port 443)
//   "10.0.0.5", "[::1]:8080" an address, written as in a URL (IPv6 in brackets when a port
//                            follows; a bare IPv6 address is also taken)
// An empty list allows nothing.
//
// Addresses: after DNS, every address a name resolved to is checked. A public address is
// fine once the host passed. A loopback, private, link-local or otherwise special address
// (special_range) is refused unless the URL's host or that address is listed by an exact
// entry (no wildcard): "*" opens the public internet, not the hub's own network.

#include <boost/asio/ip/address.hpp>
#include <boost/json/array.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::provider_http_detail {

class allow_list {
public:
    /// Throws gleitzeit::error(invalid_argument, "provider-http: allow[i]: ...") for an entry
    /// that is not a string or not of the forms above.
    static allow_list parse(const boost::json::array& entries);

    /// Whether a request may go to host:port at all (host lower case, as http_url has it).
    bool allows(std::string_view host, std::uint16_t port) const;
    /// Whether host:port is listed by an exact entry, without a wildcard.
    bool lists_exactly(std::string_view host, std::uint16_t port) const;
    /// "" when the request to `host` may connect to `address`; otherwise why not.
    std::string check_address(std::string_view host, const std::string& address,
                              std::uint16_t port) const;
    bool empty() const noexcept { return entries_.empty(); }

private:
    struct entry {
        std::string host;   // lower case; for a wildcard the suffix after "*" (".example.com"),
                            // or "" for "*"
        bool wildcard = false;
        std::optional<std::uint16_t> port;
    };
    static bool host_matches(const entry& e, std::string_view host);

    std::vector<entry> entries_;
};

/// The special range an address falls in ("loopback", "private", "link-local", "unspecified",
/// "multicast", "shared", "reserved"); "" for a public address. An IPv4 address inside IPv6
/// (::ffff:a.b.c.d, 64:ff9b::a.b.c.d) is judged as that IPv4 address.
std::string_view special_range(const boost::asio::ip::address& a);

} // namespace gleitzeit::provider_http_detail
