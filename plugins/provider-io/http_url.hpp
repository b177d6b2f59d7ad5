#pragma once
// The parts of an http(s) URL that the HTTP client needs: where to connect and what to ask
// for. Only absolute http:// and https:// URLs are taken; user info ("user:pass@") is refused,
// because credentials belong in headers, where a log line of the URL does not show them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gleitzeit::provider_io {

struct http_url {
    bool tls = false;     // https
    std::string host;     // lower case; an IPv6 literal without its brackets
    std::uint16_t port = 0;
    std::string target;   // path and query as sent in the request line, at least "/"

    std::string_view scheme() const noexcept { return tls ? "https" : "http"; }
    /// host[:port] for the Host header: the port only when it is not the scheme's default,
    /// an IPv6 literal in brackets.
    std::string host_header() const;
    /// host:port, always with the port, for messages and the connection pool's key.
    std::string endpoint() const;
    /// scheme://host_header() + target
    std::string text() const;
};

/// The URL's parts; std::nullopt with `why` set ("no scheme", "port out of range", ...) for
/// a URL this client cannot call. The fragment is dropped. Spaces and control characters are
/// refused anywhere: they would let a URL inject headers into the request.
std::optional<http_url> parse_http_url(std::string_view url, std::string& why);

} // namespace gleitzeit::provider_io
