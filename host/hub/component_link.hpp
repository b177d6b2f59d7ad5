#pragma once
// The connection of a remote component that fills a slot (queue, resolver, registry,
// persistence): one acked event out, its reply back (docs/events.md, "Remote slots").
//
// The slot interfaces are synchronous, so call() waits for the reply. It must therefore run
// on a thread that no connection needs: a remote slot's strand runs on the blocking pool
// (plugins/slot.hpp); on the event loop, with one thread, the reply could never arrive.

#include "sio/server/socket.hpp"

#include <gleitzeit/error.hpp>
#include <gleitzeit/plugin.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace gleitzeit::hub {

/// The component's connection went, before or during the call: nothing it held is left.
class component_gone : public error {
public:
    using error::error;
};

class component_link {
public:
    component_link(std::weak_ptr<sio::socket> connection, std::string component_id, slot_kind kind,
                   std::chrono::milliseconds timeout);

    /// Emits `event` with `payload` (and the routing fields) and returns the reply,
    /// {ok: true, ...}. Throws component_gone when the connection is gone; error(timeout)
    /// without a reply in time; error(<its code>) with the component's message for
    /// {ok: false, error}; error(plugin_error) for a reply of any other shape.
    boost::json::object call(std::string_view event, boost::json::object payload,
                             const std::string& correlation_id = {}) const;

    const std::string& component_id() const noexcept { return id_; }
    /// "queue component q-1", for messages.
    std::string who() const;
    /// Logs a failed call the slot's caller cannot be told of (a notification).
    void log_failure(std::string_view event, const std::exception& e) const;

private:
    std::weak_ptr<sio::socket> connection_;
    std::string id_;
    slot_kind kind_;
    std::chrono::milliseconds timeout_;
};

} // namespace gleitzeit::hub
