#pragma once
// A Socket.IO namespace ("/", "/admin"): who may connect, what happens on connect, and
// its rooms. Thread-safe.

#include "sio/protocol/packet.hpp"
#include "sio/server/socket.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gleitzeit::sio {

/// Why a CONNECT is refused: sent to the client as CONNECT_ERROR {message, data}.
struct connect_refusal {
    std::string message;
    boost::json::value data; // omitted from the packet when null
};

class broadcast;

class nsp {
public:
    /// Decides on a CONNECT from its auth payload; nullopt accepts.
    using authorizer =
        std::function<std::optional<connect_refusal>(const boost::json::value& auth)>;
    using connection_handler = std::function<void(const socket_ptr& s)>;

    explicit nsp(std::string name) : name_(std::move(name)) {}

    const std::string& name() const { return name_; }
    void authorize(authorizer a) { authorizer_ = std::move(a); }
    void on_connection(connection_handler h) { on_connection_ = std::move(h); }

    /// Everyone in the namespace, or narrowed with to()/except() on the result.
    broadcast to(std::string room);
    broadcast except(std::string room);
    void emit(std::string_view event, const message& m = {});

    std::size_t size() const;
    std::vector<socket_ptr> sockets() const;

    // --- for the Socket.IO server and sockets ---
    const authorizer& authorizer_fn() const { return authorizer_; }
    const connection_handler& connection_fn() const { return on_connection_; }
    void add(const socket_ptr& s);
    void remove(const socket_ptr& s);
    void join(const socket_ptr& s, const std::string& room);
    void leave(const socket_ptr& s, const std::string& room);
    /// The sockets in any of `rooms` (all when empty), minus those in `except_rooms` and
    /// the one with id `except_id`.
    std::vector<socket_ptr> select(const std::vector<std::string>& rooms,
                                   const std::vector<std::string>& except_rooms,
                                   const std::string& except_id) const;

private:
    std::string name_;
    authorizer authorizer_;
    connection_handler on_connection_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, socket_ptr> sockets_;
    std::unordered_map<std::string, std::unordered_set<socket_ptr>> rooms_;
};

/// A broadcast under construction: nsp.to("a").to("b").except("c").emit("ev", m).
class broadcast {
public:
    explicit broadcast(nsp& space) : nsp_(space) {}
    broadcast& to(std::string room) {
        rooms_.push_back(std::move(room));
        return *this;
    }
    broadcast& except(std::string room) {
        except_rooms_.push_back(std::move(room));
        return *this;
    }
    broadcast& except_socket(std::string id) {
        except_id_ = std::move(id);
        return *this;
    }
    /// Encodes once and sends to every selected socket; returns how many it reached.
    std::size_t emit(std::string_view event, const message& m = {});

private:
    nsp& nsp_;
    std::vector<std::string> rooms_;
    std::vector<std::string> except_rooms_;
    std::string except_id_;
};

} // namespace gleitzeit::sio
