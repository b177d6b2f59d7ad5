#include "allow_list.hpp"

#include "gleitzeit/error.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

#include <cctype>

namespace gleitzeit::provider_http_detail {

namespace ip = boost::asio::ip;

namespace {

[[noreturn]] void refuse(std::size_t index, const std::string& why) {
    throw error(error_code::invalid_argument,
                "provider-http: allow[" + std::to_string(index) + "]: " + why);
}

/// An IP address in its canonical text (as the resolver prints it); anything else as given.
std::string canonical(std::string_view host) {
    boost::system::error_code ec;
    const ip::address a = ip::make_address(std::string(host), ec);
    return ec ? std::string(host) : a.to_string();
}

std::uint16_t read_port(std::string_view text, std::size_t index, const std::string& entry) {
    unsigned long port = 0;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535)
            refuse(index, "bad port in '" + entry + "'");
        port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (text.empty() || port == 0 || port > 65535)
        refuse(index, "bad port in '" + entry + "'");
    return static_cast<std::uint16_t>(port);
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

std::uint32_t v4_bits(const ip::address_v4& a) {
    return a.to_uint();
}

bool in(std::uint32_t a, std::uint32_t net, int prefix) {
    const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t(0) << (32 - prefix);
    return (a & mask) == (net & mask);
}

std::string_view v4_range(const ip::address_v4& v4) {
    const std::uint32_t a = v4_bits(v4);
    if (in(a, 0x00000000, 8))
        return "unspecified";
    if (in(a, 0x7f000000, 8))
        return "loopback";
    if (in(a, 0x0a000000, 8) || in(a, 0xac100000, 12) || in(a, 0xc0a80000, 16))
        return "private";
    if (in(a, 0xa9fe0000, 16))
        return "link-local";
    if (in(a, 0x64400000, 10))
        return "shared"; // carrier-grade NAT, RFC 6598
    if (in(a, 0xe0000000, 4))
        return "multicast";
    if (in(a, 0xf0000000, 4) || in(a, 0xc0000000, 24) || in(a, 0xc6120000, 15))
        return "reserved"; // 240/4 with broadcast, IETF protocol assignments, benchmarking
    return "";
}

} // namespace

std::string_view special_range(const ip::address& a) {
    if (a.is_v4())
        return v4_range(a.to_v4());
    const ip::address_v6 v6 = a.to_v6();
    const auto b = v6.to_bytes();
    if (v6.is_v4_mapped())
        return v4_range(ip::make_address_v4(ip::v4_mapped, v6));
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last four bytes.
    static constexpr unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (std::equal(nat64, nat64 + 12, b.begin()))
        return v4_range(ip::address_v4({b[12], b[13], b[14], b[15]}));
    if (v6.is_unspecified())
        return "unspecified";
    if (v6.is_loopback())
        return "loopback";
    if (v6.is_link_local())
        return "link-local";
    if ((b[0] & 0xfe) == 0xfc || v6.is_site_local())
        return "private"; // unique local fc00::/7, and the old site-local fec0::/10
    if (v6.is_multicast())
        return "multicast";
    return "";
}

allow_list allow_list::parse(const boost::json::array& entries) {
    allow_list out;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!entries[i].is_string())
            refuse(i, "must be a string");
        const std::string text(entries[i].get_string());
        std::string_view rest = text;
        entry e;
        if (rest.empty())
            refuse(i, "empty entry");
        if (rest.front() == '[') {
            const std::size_t close = rest.find(']');
            boost::system::error_code ec;
            if (close == std::string_view::npos)
                refuse(i, "unclosed '[' in '" + text + "'");
            ip::make_address_v6(std::string(rest.substr(1, close - 1)), ec);
            if (ec)
                refuse(i, "bad IPv6 address in '" + text + "'");
            e.host = canonical(rest.substr(1, close - 1));
            rest.remove_prefix(close + 1);
            if (!rest.empty() && rest.front() != ':')
                refuse(i, "unexpected text after ']' in '" + text + "'");
            if (!rest.empty())
                e.port = read_port(rest.substr(1), i, text);
        } else if (boost::system::error_code ec; ip::make_address_v6(text, ec), !ec) {
            e.host = canonical(text); // a bare IPv6 address: its colons are not a port
        } else {
            const std::size_t colon = rest.rfind(':');
            std::string_view host = rest.substr(0, colon);
            if (colon != std::string_view::npos)
                e.port = read_port(rest.substr(colon + 1), i, text);
            e.wildcard = host == "*" || host.substr(0, 2) == "*.";
            // "*" keeps host "", "*.example.com" keeps the suffix with its dot.
            std::string_view name = host == "*" ? std::string_view() : host.substr(e.wildcard ? 2 : 0);
            if (name.empty() && host != "*")
                refuse(i, "no host in '" + text + "'");
            for (char c : name)
                if (!is_name_char(c))
                    refuse(i, "bad character in host of '" + text + "'");
            std::string lowered;
            for (char c : name)
                lowered.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            if (e.wildcard)
                e.host = name.empty() ? std::string() : "." + lowered;
            else
                e.host = canonical(lowered);
        }
        out.entries_.push_back(std::move(e));
    }
    return out;
}

bool allow_list::host_matches(const entry& e, std::string_view host) {
    if (!e.wildcard)
        return e.host == host;
    if (e.host.empty())
        return true; // "*"
    return host.size() > e.host.size() && host.substr(host.size() - e.host.size()) == e.host;
}

bool allow_list::allows(std::string_view host, std::uint16_t port) const {
    const std::string h = canonical(host);
    for (const entry& e : entries_)
        if (host_matches(e, h) && (!e.port || *e.port == port))
            return true;
    return false;
}

bool allow_list::lists_exactly(std::string_view host, std::uint16_t port) const {
    const std::string h = canonical(host);
    for (const entry& e : entries_)
        if (!e.wildcard && e.host == h && (!e.port || *e.port == port))
            return true;
    return false;
}

std::string allow_list::check_address(std::string_view host, const std::string& address,
                                      std::uint16_t port) const {
    boost::system::error_code ec;
    const ip::address a = ip::make_address(address, ec);
    if (ec)
        return "not an IP address";
    const std::string_view range = special_range(a);
    if (range.empty() || lists_exactly(host, port) || lists_exactly(address, port))
        return "";
    const char* article = range.front() == 'u' ? "an " : "a ";
    return article + std::string(range) +
           " address is allowed only when its host or address is on the allow list";
}

} // namespace gleitzeit::provider_http_detail
