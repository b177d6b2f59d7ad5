#pragma once
// What sits on top of an Engine.IO endpoint: the Socket.IO server, or the raw echo of the
// test fixture. Apart from engine_session.hpp so that server.hpp, which the hub includes
// widely, needs no Asio.

#include <memory>
#include <string>
#include <string_view>

namespace gleitzeit::sio::engine {

class session;

class session_handler {
public:
    virtual ~session_handler() = default;
    virtual void on_open(const std::shared_ptr<session>& s) = 0;
    virtual void on_message(const std::shared_ptr<session>& s, std::string_view data,
                            bool binary) = 0;
    virtual void on_close(const std::shared_ptr<session>& s, const std::string& reason) = 0;
};

} // namespace gleitzeit::sio::engine
