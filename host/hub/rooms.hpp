#pragma once
// The observers' rooms and how a connection gets into them (docs/events.md, "Rooms"):
// `components` and `plugins` carry a few events per change and are given by role;
// `workflows` and `tasks` carry every event of every workflow, so a connection is in them
// only when it asks (`join_room`, or `observer_rooms: true` in its auth payload). Without
// tokens every connection has every role, and default membership made every client a
// receiver of every task event.

#include "hub/roles.hpp"
#include "sio/server/socket.hpp"

namespace gleitzeit::hub {

/// Puts a new connection in the rooms its role and auth payload give it.
void join_given_rooms(const sio::socket_ptr& s, const access& who);

/// `join_room {room}` and `leave_room {room}`, acked and role-checked.
void install_room_events(const sio::socket_ptr& s, const access& who);

} // namespace gleitzeit::hub
