#pragma once
// Everything one sio::client holds: its namespaces with their handlers, buffered emits
// and pending acks; the reconnection schedule; the Engine.IO connection of the moment.
// Internal to host/sio/client.
//
// Runs on `strand`. The one exception is `mutex`: of(), id() and connected() are called
// from the application's threads, so the map of namespaces (as a map), and each one's
// `connected` and `id`, are read and written under it.

#include "sio/client/client.hpp"
#include "sio/client/client_engine.hpp"
#include "sio/protocol/attachment_reassembler.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::sio {

struct client_state : std::enable_shared_from_this<client_state>, client_engine::listener {
    struct pending_ack {
        std::chrono::steady_clock::time_point deadline;
        namespace_handle::reply_handler handler;
    };
    struct space {
        std::unique_ptr<namespace_handle> handle;
        boost::json::value auth;
        bool wanted = true;
        bool connected = false;
        std::string id;
        std::map<std::string, namespace_handle::event_handler, std::less<>> handlers;
        namespace_handle::any_handler any;
        std::vector<std::vector<engine::frame>> buffer; // emits made while not connected
        std::map<std::uint64_t, pending_ack> acks;
        std::uint64_t next_id = 0;
    };

    client_state(boost::asio::io_context& ioc, client_target t, client_options o);

    client_engine::strand_type strand;
    client_target target;
    client_options options;
    std::function<void(const client_event&)> status;
    std::map<std::string, space, std::less<>> spaces;
    mutable std::mutex mutex;
    std::shared_ptr<client_engine> engine;
    boost::asio::steady_timer reconnect_timer;
    boost::asio::steady_timer ack_timer;
    bool ack_timer_armed = false;
    unsigned attempts = 0;
    bool closing = false;
    bool engine_open = false;
    attachment_reassembler reassembler;
    std::mt19937_64 random{std::random_device{}()};

    void report(client_event e);
    space* find(std::string_view nsp);
    void open();
    void close();

    // Sending (client_state.cpp).
    static engine::frame frame_of(std::string text, bool binary = false);
    void send_connect(const std::string& nsp, const space& s);
    void send_disconnect(const std::string& nsp);
    void send_frames(std::vector<engine::frame> frames);
    std::vector<engine::frame> encode_frames(std::string text,
                                             std::vector<std::string>& attachments_out);
    void emit(const std::string& nsp, const std::string& event, message m,
              std::optional<std::chrono::milliseconds> timeout,
              namespace_handle::reply_handler on_reply);
    void resolve_ack(const std::string& nsp, std::uint64_t id, std::optional<message> reply);
    void arm_ack_timer(std::chrono::steady_clock::time_point deadline);
    void expire_acks();
    void fail_pending_acks();
    std::chrono::milliseconds next_delay();
    void schedule_reconnect();

    // Receiving (client_receive.cpp).
    void on_engine_open(const std::string& transport) override;
    void on_engine_upgrade() override;
    void on_engine_close(const std::string& reason) override;
    void on_engine_message(std::string_view data, bool binary) override;
    void fail();
    void handle(packet p, std::vector<std::string> attachments);
    void on_connect(space& s, const packet& p);
    void on_connect_error(space& s, const packet& p);
    void on_disconnect(space& s, const packet& p);
    void on_event(space& s, packet& p, std::vector<std::string> attachments);
    namespace_handle::ack_fn make_ack(const std::string& nsp, std::uint64_t id);
};

} // namespace gleitzeit::sio
