#pragma once
// Following a redirect: where a Location header points, and the request that goes there.

#include "http_params.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace gleitzeit::provider_http_detail {

/// 301, 302, 303, 307 or 308.
bool is_redirect(unsigned status) noexcept;

/// `location` resolved against the URL it came from (absolute, scheme-relative "//h/p",
/// absolute path "/p", query "?q" or relative path "p"); std::nullopt when `base` is not a
/// URL the client can call.
std::optional<std::string> resolve_location(const std::string& base, std::string_view location);

/// The request after `status` sent `current` to `next_url`: 303 (and 301/302 after a POST)
/// become a GET without a body, as browsers do; 307 and 308 keep method and body. Content
/// headers go with a dropped body; Authorization and Cookie are dropped when the scheme, host
/// or port changes, so that credentials meant for one server do not reach another.
hop next_hop(const hop& current, unsigned status, const std::string& next_url);

} // namespace gleitzeit::provider_http_detail
