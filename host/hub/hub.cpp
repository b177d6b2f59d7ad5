#include "hub/hub.hpp"

#include <boost/json/value.hpp>

namespace gleitzeit::hub {
namespace json = boost::json;

hub::hub(sio::server& io, const config::settings& cfg) : tokens_(cfg.tokens) {
    auto& root = io.of("/");
    root.authorize([this](const json::value& auth) -> std::optional<sio::connect_refusal> {
        if (tokens_.empty())
            return std::nullopt; // no tokens configured: a loopback-only default
        const auto* o = auth.if_object();
        const auto* token = o ? o->if_contains("token") : nullptr;
        if (token && token->is_string())
            for (const auto& t : tokens_)
                if (t.token == token->get_string())
                    return std::nullopt;
        return sio::connect_refusal{
            "unauthorized",
            json::object{{"code", "unauthorized"},
                         {"reason", token ? "unknown token" : "no token in the auth payload"}}};
    });
    root.on_connection([this](const sio::socket_ptr& s) { on_connection(s); });
}

void hub::on_connection(const sio::socket_ptr& s) {
    // echo(args...) acks with the same arguments, binary included: a cheap end-to-end probe.
    s->on("echo", [](sio::message& m, const sio::socket::ack_fn& ack) {
        if (ack)
            ack(std::move(m));
    });
}

} // namespace gleitzeit::hub
