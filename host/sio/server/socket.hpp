#pragma once
// A Socket.IO socket: one client's connection to one namespace. Handlers run on the
// socket's session strand, one at a time; emit, join and leave may be called from any
// thread.

#include "sio/protocol/packet.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::sio {

namespace engine {
class session;
}
class nsp;
class broadcast;

class socket : public std::enable_shared_from_this<socket> {
public:
    // The same shapes as the other side's sockets (packet.hpp).
    using ack_fn = sio::ack_fn;
    using event_handler = sio::event_handler;
    using any_handler = sio::any_handler;
    using reply_handler = sio::reply_handler;
    using disconnect_handler = std::function<void(const std::string& reason)>;

    socket(std::string id, sio::nsp& space, std::weak_ptr<engine::session> session,
           boost::json::value auth);
    ~socket();

    const std::string& id() const { return id_; }
    const std::string& nsp_name() const;
    sio::nsp& space() const { return nsp_; }
    /// The CONNECT payload the client sent (an object, or {} when it sent none).
    const boost::json::value& auth() const { return auth_; }
    bool connected() const;

    /// Register handlers from the namespace's connection handler, before events arrive.
    void on(std::string event, event_handler handler);
    /// Gets every event that has no handler of its own.
    void on_any(any_handler handler);
    void on_disconnect(disconnect_handler handler);

    void emit(std::string_view event, const message& m = {});
    /// Emits and asks the client for an ack, waiting at most `timeout` for it.
    void emit(std::string_view event, const message& m, std::chrono::milliseconds timeout,
              reply_handler on_reply);

    void join(const std::string& room);
    void leave(const std::string& room);
    std::set<std::string> rooms() const;
    /// A broadcast to `room` that leaves this socket out.
    broadcast to(std::string room);

    /// Disconnects this socket from its namespace (the session stays open).
    void disconnect();

    // --- for the session_sockets of the session; on its strand ---
    void deliver_event(std::string_view event, message& m, std::optional<std::uint64_t> id);
    void deliver_ack(std::uint64_t id, message m);
    void closed(const std::string& reason);
    /// Sends already encoded frames (a broadcast's shared text and attachments).
    void send_encoded(std::shared_ptr<const std::string> text,
                      const std::vector<std::shared_ptr<const std::string>>& attachments);

private:
    struct pending_ack;

    void send(std::string text, const std::vector<std::string>& attachments);
    ack_fn make_ack(std::uint64_t id);
    void drop_handlers();

    std::string id_;
    sio::nsp& nsp_;
    std::weak_ptr<engine::session> session_;
    boost::json::value auth_;
    std::map<std::string, event_handler, std::less<>> handlers_;
    any_handler any_;
    disconnect_handler on_disconnect_;
    int in_handler_ = 0; // handlers running now, on the strand

    mutable std::mutex mutex_; // guards what other threads may touch: acks, rooms, state
    bool connected_ = true;
    std::uint64_t next_ack_ = 0;
    std::map<std::uint64_t, std::unique_ptr<pending_ack>> acks_;
    std::set<std::string> rooms_;
};

using socket_ptr = std::shared_ptr<socket>;

} // namespace gleitzeit::sio
