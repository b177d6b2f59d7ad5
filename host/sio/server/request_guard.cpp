#include "sio/server/request_guard.hpp"

#include <algorithm>
#include <cctype>

namespace gleitzeit::sio {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool listed(const std::vector<std::string>& list, const std::string& value) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& e) { return e == "*" || lower(e) == value; });
}

/// A JSON string's content: what a header brings may hold quotes, control characters and
/// bytes of 0x80 and above, which need not be UTF-8 (JSON text must be); both of the latter
/// become '?'.
std::string json_text(std::string_view s) {
    std::string out;
    for (char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\')
            out += '\\';
        out += byte < 0x20 || byte >= 0x80 ? '?' : c;
    }
    return out;
}

request_guard::refusal refuse(std::string reason, std::string_view what, std::string_view value) {
    return {reason, R"({"code":4,"message":"Forbidden: )" + std::string(what) + " '" +
                        json_text(value) + R"x(' is not allowed (docs/security.md)"})x"};
}

} // namespace

std::string host_name(std::string_view h) {
    if (h.starts_with('[')) {
        auto close = h.find(']');
        h = close == std::string_view::npos ? h.substr(1) : h.substr(1, close - 1);
    } else if (auto colon = h.rfind(':'); colon != std::string_view::npos) {
        h = h.substr(0, colon);
    }
    if (h.ends_with('.'))
        h.remove_suffix(1);
    return lower(h);
}

std::optional<request_guard::refusal> request_guard::check(std::string_view host,
                                                           std::string_view origin) const {
    if (!host.empty() && !listed(hosts, host_name(host)))
        return refuse("host", "Host", host);
    if (origin.empty())
        return std::nullopt;
    auto o = lower(origin);
    while (o.ends_with('/'))
        o.pop_back();
    // The server's own pages: Host was checked above, so a rebound name cannot pose as it.
    auto h = lower(host);
    if (!h.empty() && (o == "http://" + h || o == "https://" + h))
        return std::nullopt;
    if (listed(origins, o))
        return std::nullopt;
    return refuse("origin", "Origin", origin);
}

} // namespace gleitzeit::sio
