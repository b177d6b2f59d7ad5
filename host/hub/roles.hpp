#pragma once
// What a connection may do, from the roles of the token it connected with
// (docs/events.md, "Roles"). Fixed at connect: a reload that removes a token or changes its
// roles disconnects the connections made with it instead (docs/security.md, "Tokens").

#include "hub/reply.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::hub {

struct access {
    std::vector<std::string> roles;

    bool has(std::string_view role) const {
        return std::find(roles.begin(), roles.end(), role) != roles.end() ||
               std::find(roles.begin(), roles.end(), "admin") != roles.end();
    }
};

/// The reply to `event` from a connection without `role`.
inline boost::json::object needs_role(std::string_view event, std::string_view role) {
    return failure(error_code::unauthorized, std::string(event) + " needs a token with the " +
                                                 std::string(role) + " role");
}

} // namespace gleitzeit::hub
