#pragma once
// The Socket.IO sockets of one Engine.IO session, on the server: which namespaces the
// client joined through it, and a packet whose binary attachments are still arriving.
// The JS server calls this a "Client"; here that word is kept for the other side
// (host/sio/client). Lives on the session's strand.

#include "sio/protocol/attachment_reassembler.hpp"
#include "sio/protocol/packet.hpp"
#include "sio/server/socket.hpp"

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::sio {

class server;

class session_sockets : public std::enable_shared_from_this<session_sockets> {
public:
    session_sockets(server& owner, const std::shared_ptr<engine::session>& session);

    void start_connect_timer(std::chrono::milliseconds timeout);
    void on_message(std::string_view data, bool binary);
    void on_close(const std::string& reason);
    void
    disconnect(socket_ptr s,
               const std::string& reason); // by value: it erases the map entry it may come from

private:
    void handle(packet p, std::vector<std::string> attachments);
    void connect(packet& p);
    void send_text(std::string text);
    void fail();

    server& server_;
    std::weak_ptr<engine::session> session_;
    boost::asio::steady_timer connect_timer_;
    std::map<std::string, socket_ptr, std::less<>> sockets_;
    attachment_reassembler reassembler_;
};

} // namespace gleitzeit::sio
