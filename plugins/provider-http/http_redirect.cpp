#include "http_redirect.hpp"

#include "http_url.hpp"

#include <algorithm>
#include <cctype>

namespace gleitzeit::provider_http_detail {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool has_scheme(std::string_view s) {
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || s.find_first_of("/?#") < colon)
        return false;
    return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
}

void drop_headers(header_list& headers, std::initializer_list<std::string_view> names) {
    std::erase_if(headers, [&](const auto& kv) {
        const std::string n = lower(kv.first);
        return std::find(names.begin(), names.end(), n) != names.end();
    });
}

} // namespace

bool is_redirect(unsigned status) noexcept {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::optional<std::string> resolve_location(const std::string& base, std::string_view location) {
    std::string why;
    const auto from = provider_io::parse_http_url(base, why);
    if (!from)
        return std::nullopt;
    if (has_scheme(location))
        return std::string(location);
    const std::string origin = std::string(from->scheme()) + "://" + from->host_header();
    if (location.substr(0, 2) == "//")
        return std::string(from->scheme()) + ":" + std::string(location);
    if (!location.empty() && location.front() == '/')
        return origin + std::string(location);
    const std::string path = from->target.substr(0, from->target.find('?'));
    if (location.empty())
        return origin + from->target;
    if (location.front() == '?')
        return origin + path + std::string(location);
    // A relative path replaces the last segment of the base path. Dot segments are left to
    // the server, which sees the same path a browser would send.
    return origin + path.substr(0, path.rfind('/') + 1) + std::string(location);
}

hop next_hop(const hop& current, unsigned status, const std::string& next_url) {
    hop next = current;
    next.url = next_url;
    const bool to_get = status == 303 || ((status == 301 || status == 302) && current.method == "POST");
    if (to_get && current.method != "HEAD") {
        next.method = "GET";
        next.body.clear();
        drop_headers(next.headers, {"content-type", "content-encoding", "content-language"});
    }
    std::string why;
    const auto a = provider_io::parse_http_url(current.url, why);
    const auto b = provider_io::parse_http_url(next_url, why);
    if (!a || !b || a->tls != b->tls || a->host != b->host || a->port != b->port)
        drop_headers(next.headers, {"authorization", "cookie", "proxy-authorization"});
    return next;
}

} // namespace gleitzeit::provider_http_detail
