#pragma once
// The Socket.IO side of one Engine.IO session: which namespaces it joined, and a packet
// whose binary attachments are still arriving. Lives on the session's strand.

#include "sio/packet.hpp"
#include "sio/socket.hpp"

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::sio {

class server;

class socket_client : public std::enable_shared_from_this<socket_client> {
public:
    socket_client(server& owner, const std::shared_ptr<engine::session>& session);

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
    void fail(const std::string& why);

    server& server_;
    std::weak_ptr<engine::session> session_;
    boost::asio::steady_timer connect_timer_;
    std::map<std::string, socket_ptr, std::less<>> sockets_;
    std::optional<packet> partial_;
    std::vector<std::string> attachments_;
};

} // namespace gleitzeit::sio
