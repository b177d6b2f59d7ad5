#pragma once
// The component registry (docs/events.md, "Components"): remote components that register over
// Socket.IO, with their heartbeats, beside the in-process providers the pipeline knows.
//   register_component {component_type, component_id?, version?, capabilities?,
//                       protocols?, max_concurrency?} -> {ok, component_id, heartbeat_interval_ms}
//   heartbeat (hub -> component) / heartbeat_response {metrics?} (component -> hub)
//   list_components -> {ok, components: [...]}
// and component_connected / component_disconnected to room "components". A provider
// becomes a provider of the pipeline until its connection goes; then its calls in flight
// are requeued. A queue, resolver, registry or persistence component fills its slot
// (remote_slots.hpp) when the running config says [slots.<type>] remote = true, and only
// while no other component fills it; when its connection goes, the slot empties and waits
// for the next one. docs/events.md has the schemas.

#include "hub/provider_link.hpp"
#include "hub/roles.hpp"
#include "sio/server/socket.hpp"

#include <gleitzeit/plugin.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace boost::asio {
class io_context;
}

namespace gleitzeit::hub {

class pipeline;
class slot_control;

class components : public std::enable_shared_from_this<components> {
public:
    /// Sends `event` to everyone in `room`.
    using emit_fn =
        std::function<void(const std::string& room, std::string_view event, boost::json::object)>;

    components(boost::asio::io_context& ioc, pipeline& workflows, emit_fn emit,
               std::chrono::milliseconds heartbeat_interval);
    ~components();

    /// Offers register_component, heartbeat_response and list_components on `s`.
    void install(const sio::socket_ptr& s, const access& who);
    /// Lets queue, resolver, registry and persistence components fill the slots of `control`
    /// that `remote` says the running config marks remote; each call waits at most
    /// `call_timeout` for the component's reply. Without it they are refused. Set once, at start.
    void serve_slots(slot_control& control, std::function<bool(slot_kind)> remote,
                     std::chrono::milliseconds call_timeout);
    /// A slot that was empty got an instance: a new registry learns the remote providers.
    void slot_filled(slot_kind kind);

private:
    struct component;

    void register_component(const sio::socket_ptr& s, const boost::json::value& payload,
                            const sio::ack_fn& ack);
    /// Reads a register_component payload into `c` and `specs`: empty, or why it is refused.
    std::string read_registration(const boost::json::value& payload, component& c,
                                  std::vector<protocol_spec>& specs);
    /// Puts the component in its slot; `announce` once it is there, else refused.
    void fill_slot(const sio::socket_ptr& s, const std::shared_ptr<component>& c, slot_kind kind,
                   std::function<void()> announce, const sio::ack_fn& ack);
    void forget(const std::shared_ptr<component>& c);
    void heartbeat(std::weak_ptr<sio::socket> s, std::shared_ptr<component> c);
    void gone(const std::string& socket_id);
    void list(const sio::ack_fn& ack);

    boost::asio::io_context& ioc_;
    pipeline& workflows_;
    emit_fn emit_;
    std::chrono::milliseconds heartbeat_interval_;
    slot_control* control_ = nullptr; // set by serve_slots
    std::function<bool(slot_kind)> remote_;
    std::chrono::milliseconds call_timeout_{10000};
    std::mutex mutex_; // the handlers run on the connections' own strands
    std::map<std::string, std::shared_ptr<component>> by_id_;
    std::map<std::string, std::string> id_of_socket_;
};

} // namespace gleitzeit::hub
