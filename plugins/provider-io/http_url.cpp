#include "http_url.hpp"

#include <boost/asio/ip/address_v6.hpp>

#include <cctype>

namespace gleitzeit::provider_io {

namespace {

bool istarts_with(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i])
            return false;
    return true;
}

bool is_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

/// Splits "host[:port]" or "[v6][:port]" into `out`; false with `why` when malformed.
bool parse_authority(std::string_view authority, http_url& out, std::string& why) {
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            why = "unclosed '[' in host";
            return false;
        }
        out.host = lower(authority.substr(1, close - 1));
        boost::system::error_code ec;
        boost::asio::ip::make_address_v6(out.host, ec);
        if (ec) {
            why = "bad IPv6 address '" + out.host + "'";
            return false;
        }
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            why = "unexpected text after ']'";
            return false;
        }
        port_text = after.empty() ? after : after.substr(1);
    } else {
        const std::size_t colon = authority.find(':');
        std::string_view host = authority.substr(0, colon);
        for (char c : host)
            if (!is_host_char(c)) {
                why = "bad character in host name";
                return false;
            }
        out.host = lower(host);
        if (colon != std::string_view::npos)
            port_text = authority.substr(colon + 1);
    }
    if (out.host.empty()) {
        why = "no host";
        return false;
    }
    out.port = out.tls ? 443 : 80;
    if (port_text.empty())
        return true;
    unsigned long port = 0;
    for (char c : port_text) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) {
            why = "bad port";
            return false;
        }
        port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) {
        why = "port out of range";
        return false;
    }
    out.port = static_cast<std::uint16_t>(port);
    return true;
}

} // namespace

std::string http_url::host_header() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != (tls ? 443 : 80))
        h += ":" + std::to_string(port);
    return h;
}

std::string http_url::endpoint() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
}

std::string http_url::text() const {
    return std::string(scheme()) + "://" + host_header() + target;
}

std::optional<http_url> parse_http_url(std::string_view url, std::string& why) {
    for (char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            why = "contains a space or control character";
            return std::nullopt;
        }
    http_url out;
    if (istarts_with(url, "https://")) {
        out.tls = true;
        url.remove_prefix(8);
    } else if (istarts_with(url, "http://")) {
        url.remove_prefix(7);
    } else {
        why = "not an http:// or https:// URL";
        return std::nullopt;
    }
    if (const std::size_t hash = url.find('#'); hash != std::string_view::npos)
        url = url.substr(0, hash);
    const std::size_t end = url.find_first_of("/?");
    std::string_view authority = url.substr(0, end);
    if (authority.find('@') != std::string_view::npos) {
        why = "user info in the URL is not supported";
        return std::nullopt;
    }
    if (!parse_authority(authority, out, why))
        return std::nullopt;
    std::string_view rest = end == std::string_view::npos ? std::string_view{} : url.substr(end);
    out.target = rest.empty() || rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
    return out;
}

} // namespace gleitzeit::provider_io
