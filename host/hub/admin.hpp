#pragma once
// The admin events (docs/events.md, "Admin"), for connections whose token grants the admin role:
//   list_plugins                 -> {ok, slots: [{slot, kind, generations: [...]}]}
//   swap_plugin {slot, path}     -> {ok, slot, generations} or {ok: false, error}
//   reload_config                -> {ok, reload: {...}} or {ok: false, error, reload}
//   enqueue_tasks {tasks: [...]} -> {ok, enqueued}   (straight into the queue slot)
//   list_queue {offset?, limit?} -> {ok, size, tasks: [task ids in dispatch order]}
// Replies are acks; docs/events.md has the schemas.

#include "sio/server/socket.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <string>

namespace gleitzeit::hub {

class slots;
class slot_control;

struct admin_services {
    slot_control* control = nullptr; // list_plugins, swap_plugin
    hub::slots* slots = nullptr;     // enqueue_tasks, list_queue
    /// Reloads the config; the callback gets the outcome as JSON (reload_outcome::to_json).
    std::function<void(std::string trigger, std::function<void(boost::json::object)>)> reload;
};

/// Installs the admin events on `s`. `is_admin` says whether its token grants the role.
void install_admin_events(const sio::socket_ptr& s, const admin_services& services, bool is_admin);

} // namespace gleitzeit::hub
