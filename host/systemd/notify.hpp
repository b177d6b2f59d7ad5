#pragma once
// The systemd service notification protocol (sd_notify(3)), for the unit's Type=notify: a
// datagram to $NOTIFY_SOCKET, written here rather than linking libsystemd for five lines.
// Outside systemd there is no NOTIFY_SOCKET, and every call does nothing.

#include <string_view>

namespace gleitzeit::systemd {

/// Sends `state` ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...", newline-separated)
/// to the service manager. Returns false when none listens or the datagram was not sent.
bool notify(std::string_view state);

} // namespace gleitzeit::systemd
