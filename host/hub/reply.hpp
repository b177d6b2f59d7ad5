#pragma once
// The reply shape of every acked request to the hub (docs/events.md, "Replies"):
// {"ok": true, ...} or {"ok": false, "error": {"code", "message"}}.

#include "sio/protocol/packet.hpp"

#include <gleitzeit/error.hpp>

#include <boost/json/object.hpp>

#include <string>

namespace gleitzeit::hub {

inline boost::json::object failure(error_code code, const std::string& message) {
    return {{"ok", false},
            {"error", boost::json::object{{"code", to_string(code)}, {"message", message}}}};
}

/// Answers the ack, if the peer asked for one, with `o` as its one argument.
inline void reply(const sio::ack_fn& ack, boost::json::object o) {
    if (ack)
        ack(sio::message{boost::json::array{std::move(o)}, {}});
}

} // namespace gleitzeit::hub
