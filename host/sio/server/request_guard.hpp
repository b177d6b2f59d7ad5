#pragma once
// Which HTTP requests may reach the server at all, judged from two headers before anything
// else is read (docs/security.md):
// - Host, against DNS rebinding: a page on a name the attacker controls, resolved to
//   127.0.0.1, still names that name in Host;
// - Origin, against the pages a user's browser opens: a browser always sends it, so a
//   request without it comes from a program, which the tokens judge instead.
// Pure: no I/O, no state.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::sio {

struct request_guard {
    /// Names (no port) Host may carry, compared without case; "*" allows any.
    std::vector<std::string> hosts;
    /// Origins ("http://a.example:8080") a page may come from besides the server's own, that
    /// is Origin == scheme://Host; "*" allows any.
    std::vector<std::string> origins;

    struct refusal {
        std::string reason; // "host" or "origin", the metric's label
        std::string body;   // the 403's JSON body, an Engine.IO error (code 4, "Forbidden")
    };

    /// Why a request with these header values is refused, or nullopt. An empty Host (HTTP/1.0)
    /// passes: browsers always send one.
    std::optional<refusal> check(std::string_view host, std::string_view origin) const;
};

/// The name in a Host header: without its port and the brackets of an IPv6 address, in
/// lowercase, without a trailing dot.
std::string host_name(std::string_view host_header);

} // namespace gleitzeit::sio
