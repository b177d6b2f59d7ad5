#include "hub/rooms.hpp"

#include "hub/reply.hpp"

#include <boost/json/value.hpp>

#include <array>
#include <string_view>

namespace gleitzeit::hub {
namespace json = boost::json;

namespace {

struct observer_room {
    std::string_view name;
    std::string_view role;
    bool given; // joined at connect by the role alone
};

// docs/events.md, "Rooms": the table there lists these.
constexpr std::array<observer_room, 4> observer_rooms{{
    {"workflows", "observe", false}, // workflow_started, workflow_completed, ...
    {"tasks", "observe", false},     // task_started, task_completed, task_progress, ...
    {"components", "observe", true},
    {"plugins", "observe", true}, // events that plugins emit through their host
}};

const observer_room* find_room(const json::value& v) {
    const auto* o = v.if_object();
    const auto* name = o ? o->if_contains("room") : nullptr;
    if (!name || !name->is_string())
        return nullptr;
    for (const auto& r : observer_rooms)
        if (r.name == name->get_string())
            return &r;
    return nullptr;
}

void on_room_event(const sio::socket_ptr& s, const access& who, bool join, sio::message& m,
                   const sio::ack_fn& ack) {
    const std::string event = join ? "join_room" : "leave_room";
    const auto* r = find_room(m.args.empty() ? json::value() : m.args[0]);
    if (!r)
        return reply(ack, failure(error_code::invalid_argument,
                                  event + " needs {room}: one of workflows, tasks, components, "
                                          "plugins"));
    if (!who.has(r->role))
        return reply(ack, needs_role(event + " " + std::string(r->name), r->role));
    if (join)
        s->join(std::string(r->name));
    else
        s->leave(std::string(r->name));
    reply(ack, {{"ok", true}, {"room", r->name}});
}

} // namespace

void join_given_rooms(const sio::socket_ptr& s, const access& who) {
    // observer_rooms: true asks for every observers' room at connect (as join_room would);
    // false asks for none, not even the given ones (a CLI that follows only its own work).
    const auto* auth = s->auth().if_object();
    const auto* asked = auth ? auth->if_contains("observer_rooms") : nullptr;
    const bool all = asked && asked->is_bool() && asked->get_bool();
    const bool none = asked && asked->is_bool() && !asked->get_bool();
    for (const auto& r : observer_rooms)
        if (who.has(r.role) && !none && (r.given || all))
            s->join(std::string(r.name));
}

void install_room_events(const sio::socket_ptr& s, const access& who) {
    std::weak_ptr<sio::socket> weak = s;
    for (bool join : {true, false})
        s->on(join ? "join_room" : "leave_room",
              [weak, who, join](sio::message& m, const sio::ack_fn& ack) {
                  if (auto s = weak.lock())
                      on_room_event(s, who, join, m, ack);
              });
}

} // namespace gleitzeit::hub
