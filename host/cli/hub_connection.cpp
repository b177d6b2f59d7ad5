#include "hub_connection.hpp"

#include "sio/client/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include <csignal>
#include <optional>
#include <sstream>

namespace gleitzeit::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using clock = std::chrono::steady_clock;

struct hub_address {
    std::string host;
    std::string port;
    std::string path; // the hub's Socket.IO path ([server].path)
};

hub_address parse_address(const std::string& url) {
    std::string_view rest(url);
    bool scheme = false;
    for (std::string_view s : {"http://", "ws://"})
        if (rest.starts_with(s))
            rest.remove_prefix(s.size()), scheme = true;
    if (!scheme)
        throw command_error(exit_code::usage, "--url must be http://HOST:PORT or ws://HOST:PORT "
                                              "(TLS is not supported), got '" +
                                                  url + "'");
    hub_address a;
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    auto colon = authority.rfind(':');
    a.host = std::string(authority.substr(0, colon));
    a.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
    // A path in the URL is where the hub serves Socket.IO, for hubs with another [server].path.
    auto path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    a.path = path.empty() || path == "/" ? "/socket.io/" : std::string(path);
    if (a.host.empty() || a.port.empty() ||
        a.port.find_first_not_of("0123456789") != std::string::npos)
        throw command_error(exit_code::usage, "--url must be http://HOST:PORT, got '" + url + "'");
    return a;
}

std::string seconds(std::chrono::milliseconds d) {
    std::ostringstream out;
    out << static_cast<double>(d.count()) / 1000 << " s";
    return out.str();
}

} // namespace

struct hub_connection::state {
    explicit state(const global_options& o)
        : options(o), address(parse_address(o.url)), guard(asio::make_work_guard(ioc)) {}

    /// Turns the loop until `pred()` holds or `deadline` passes; true when it holds.
    template <class Pred> bool turn_until(Pred pred, clock::time_point deadline) {
        while (!pred()) {
            auto now = clock::now();
            if (now >= deadline)
                return false;
            ioc.run_one_for(
                std::min<clock::duration>(deadline - now, std::chrono::milliseconds(100)));
        }
        return true;
    }

    /// Why a plain TCP connection to the hub fails, or "" when it succeeds: the Socket.IO
    /// client only reports "transport error", the socket says "Connection refused".
    std::string tcp_problem() {
        auto done = std::make_shared<std::optional<std::string>>();
        auto resolver = std::make_shared<asio::ip::tcp::resolver>(ioc);
        auto socket = std::make_shared<asio::ip::tcp::socket>(ioc);
        resolver->async_resolve(
            address.host, address.port,
            [done, socket](boost::system::error_code ec, asio::ip::tcp::resolver::results_type r) {
                if (ec)
                    return void(*done = "cannot resolve the host: " + ec.message());
                asio::async_connect(*socket, r, [done](boost::system::error_code ec, const auto&) {
                    *done = ec ? ec.message() : std::string();
                });
            });
        bool finished =
            turn_until([&] { return done->has_value(); }, clock::now() + std::chrono::seconds(2));
        resolver->cancel();
        boost::system::error_code ignored;
        socket->close(ignored);
        return finished ? **done : "no TCP connection within 2 s";
    }

    global_options options;
    hub_address address;
    asio::io_context ioc; // before the client, which must go first
    asio::executor_work_guard<asio::io_context::executor_type> guard;
    std::unique_ptr<sio::client> client;
    sio::namespace_handle* socket = nullptr;
    event_handler handler;

    bool connected = false;
    bool closed = false;
    std::optional<std::string> refused; // the hub's CONNECT_ERROR
    std::string close_reason;
};

hub_connection::hub_connection(const global_options& options)
    : state_(std::make_unique<state>(options)) {}

hub_connection::~hub_connection() {
    auto& s = *state_;
    if (!s.client)
        return;
    // Leave cleanly, so that the hub logs a disconnect, not a lost client.
    s.client->close();
    s.turn_until([&] { return s.closed; }, clock::now() + std::chrono::milliseconds(500));
    s.client.reset();
}

const std::string& hub_connection::url() const {
    return state_->options.url;
}

void hub_connection::on_event(event_handler handler) {
    state_->handler = std::move(handler);
}

void hub_connection::connect() {
    auto& s = *state_;
    sio::client_options o;
    o.transports = {"websocket"}; // one round trip fewer than polling and an upgrade
    o.reconnection = false;       // a CLI reports a failure; it does not hide it
    o.path = s.address.path;
    o.timeout = s.options.timeout;
    s.client = std::make_unique<sio::client>(s.ioc, s.options.url, o);
    // The CLI follows only the workflows it submits: not the observers' rooms, which carry
    // every task event of every workflow (docs/events.md, "Roles").
    json::object auth{{"observer_rooms", false}};
    if (!s.options.token.empty())
        auth["token"] = s.options.token;
    s.socket = &s.client->of("/", std::move(auth));
    s.client->on_status([&s](const sio::client_event& e) {
        using kind = sio::client_event::kind;
        if (e.what == kind::connect && e.nsp == "/")
            s.connected = true;
        else if (e.what == kind::connect_error && e.nsp == "/") {
            const auto* data = e.data.if_object();
            const auto* reason = data ? data->if_contains("reason") : nullptr;
            s.refused = e.reason;
            if (reason && reason->is_string())
                *s.refused += " (" + std::string(reason->get_string()) + ")";
        } else if (e.what == kind::disconnect && e.nsp == "/" && s.connected) {
            s.connected = false;
            s.closed = true;
            s.close_reason = e.reason;
        } else if (e.what == kind::close) {
            s.connected = false;
            s.closed = true;
            if (s.close_reason.empty())
                s.close_reason = e.reason;
        }
    });
    s.socket->on_any([&s](std::string_view event, sio::message& m, const sio::ack_fn&) {
        if (!s.handler)
            return;
        // Both branches lvalues: `payload ? *payload : json::object()` would copy every
        // event's payload, thousands of them in a large workflow.
        static const json::object none;
        const auto* payload = m.args.empty() ? nullptr : m.args.front().if_object();
        s.handler(std::string(event), payload ? *payload : none);
    });
    s.client->open();

    const auto& url = s.options.url;
    bool settled = s.turn_until([&] { return s.connected || s.refused || s.closed; },
                                clock::now() + s.options.timeout);
    if (s.connected)
        return;
    if (s.refused)
        throw command_error(exit_code::unreachable,
                            "the hub at " + url + " refused the connection: " + *s.refused);
    if (!settled)
        throw command_error(exit_code::unreachable, "no connection to the hub at " + url +
                                                        " within " + seconds(s.options.timeout));
    s.client->close();
    if (auto why = s.tcp_problem(); !why.empty())
        throw command_error(exit_code::unreachable,
                            "cannot connect to the hub at " + url + ": " + why);
    throw command_error(exit_code::unreachable,
                        "cannot connect to the hub at " + url + ": it accepts TCP but no " +
                            "Socket.IO session at " + s.address.path + " (" + s.close_reason + ")");
}

json::object hub_connection::ask(const std::string& event, const json::value& payload) {
    auto& s = *state_;
    const auto& url = s.options.url;
    if (!s.connected)
        throw command_error(exit_code::unreachable, "lost the connection to the hub at " + url +
                                                        " (" + s.close_reason + ")");
    struct answer {
        bool arrived = false;
        std::optional<sio::message> reply;
    };
    // Shared with the reply handler, which the client may call after this returns.
    auto a = std::make_shared<answer>();
    sio::message m;
    if (!payload.is_null())
        m.args.push_back(payload);
    s.socket->emit(event, std::move(m), s.options.timeout, [a](std::optional<sio::message> r) {
        a->arrived = true;
        a->reply = std::move(r);
    });
    // The client times the ack out itself; the margin only guards against a stuck loop.
    s.turn_until([&] { return a->arrived; },
                 clock::now() + s.options.timeout + std::chrono::seconds(1));
    if (!a->reply) {
        if (s.closed) {
            // A hub closes the session of a message over its [server] max_payload: the
            // likeliest cause when a large workflow goes out (docs/cli.md, "Errors").
            const auto bytes = json::serialize(payload).size();
            const auto hint = bytes > 1'000'000
                                  ? "; the message was " + std::to_string(bytes) +
                                        " bytes, and a hub closes the connection of a message "
                                        "over its [server] max_payload (1000000 by default)"
                                  : std::string();
            throw command_error(exit_code::unreachable,
                                "lost the connection to the hub at " + url + " (" + s.close_reason +
                                    ") while waiting for the reply to " + event + hint);
        }
        throw no_reply(exit_code::unreachable, "the hub at " + url + " did not answer " + event +
                                                   " within " + seconds(s.options.timeout));
    }
    auto& args = a->reply->args;
    if (args.empty() || !args.front().is_object())
        throw command_error(exit_code::failed, "the hub's reply to " + event +
                                                   " is not an object: " + json::serialize(args));
    return std::move(args.front().get_object()); // the reply is ours alone now
}

hub_connection::wait_result hub_connection::wait(const std::function<bool()>& done,
                                                 const std::function<void()>& tick,
                                                 std::chrono::milliseconds every) {
    auto& s = *state_;
    auto interrupted = std::make_shared<bool>(false);
    asio::signal_set signals(s.ioc, SIGINT, SIGTERM);
    signals.async_wait([interrupted](boost::system::error_code ec, int) {
        if (!ec)
            *interrupted = true;
    });
    auto next_tick = clock::now() + every;
    for (;;) {
        if (done())
            return wait_result::done;
        if (*interrupted)
            return wait_result::interrupted;
        if (s.closed)
            return wait_result::lost;
        s.ioc.run_one_for(tick ? every : std::chrono::milliseconds(1000));
        if (tick && clock::now() >= next_tick) {
            tick();
            next_tick = clock::now() + every;
        }
    }
}

std::string hub_connection::lost_reason() const {
    return state_->close_reason;
}

json::object require_ok(json::object reply) {
    const auto* ok = reply.if_contains("ok");
    if (ok && ok->is_bool() && ok->get_bool())
        return reply;
    std::string text;
    const auto* error = reply.if_contains("error");
    const auto* e = error ? error->if_object() : nullptr;
    const auto* code = e ? e->if_contains("code") : nullptr;
    const auto* message = e ? e->if_contains("message") : nullptr;
    if (code && code->is_string())
        text = std::string(code->get_string());
    if (message && message->is_string())
        text += (text.empty() ? "" : ": ") + std::string(message->get_string());
    if (text.empty())
        text = "the hub answered without ok: " + json::serialize(reply);
    throw command_error(exit_code::failed, text, std::move(reply));
}

} // namespace gleitzeit::cli
