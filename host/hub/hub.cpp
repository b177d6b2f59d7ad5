#include "hub/hub.hpp"

#include "auth/token_digest.hpp"
#include "hub/reply.hpp"
#include "hub/roles.hpp"
#include "hub/rooms.hpp"

#include <boost/json/value.hpp>

#include <algorithm>

namespace gleitzeit::hub {
namespace json = boost::json;

hub::hub(sio::server& io, const config::settings& cfg, admin_services admin, clock& time,
         pipeline* workflows, std::shared_ptr<components> registry)
    : clock_(time), tokens_(cfg.tokens), admin_(std::move(admin)), workflows_(workflows),
      registry_(std::move(registry)) {
    submissions_.set(cfg.limits);
    auto& root = io.of("/");
    root.authorize([this](const json::value& auth) -> std::optional<sio::connect_refusal> {
        if (roles(auth))
            return std::nullopt;
        const auto* o = auth.if_object();
        const auto* token = o ? o->if_contains("token") : nullptr;
        return sio::connect_refusal{
            "unauthorized",
            json::object{{"code", "unauthorized"},
                         {"reason", token ? "unknown token" : "no token in the auth payload"}}};
    });
    root.on_connection([this](const sio::socket_ptr& s) { on_connection(s); });
}

void hub::set_tokens(std::vector<config::auth_token> tokens, std::chrono::milliseconds grace) {
    std::vector<std::weak_ptr<sio::socket>> revoked;
    {
        std::lock_guard lock(mutex_);
        for (const auto& old : tokens_) {
            if (std::find(tokens.begin(), tokens.end(), old) != tokens.end())
                continue;
            auto held = holders_.find(old.sha256);
            if (held == holders_.end())
                continue;
            revoked.insert(revoked.end(), held->second.begin(), held->second.end());
            holders_.erase(held);
        }
        tokens_ = std::move(tokens);
    }
    if (revoked.empty())
        return;
    // Holds no reference to the hub: the sockets are all it needs.
    auto cut = [revoked = std::move(revoked)] {
        for (const auto& w : revoked)
            if (auto s = w.lock())
                s->disconnect();
    };
    if (grace.count() == 0)
        return cut();
    auto a = clock_.after(grace, std::move(cut));
    std::lock_guard lock(mutex_);
    revocations_.push_back(std::move(a));
}

const config::auth_token* hub::match(const json::value& auth) const {
    const auto* o = auth.if_object();
    const auto* token = o ? o->if_contains("token") : nullptr;
    if (!token || !token->is_string())
        return nullptr;
    auto digest = auth::token_sha256(token->get_string());
    const config::auth_token* found = nullptr;
    for (const auto& t : tokens_) // every digest, found or not: the time tells nothing
        if (auth::same_digest(t.sha256, digest) && !found)
            found = &t;
    return found;
}

std::optional<std::vector<std::string>> hub::roles(const json::value& auth) const {
    std::lock_guard lock(mutex_);
    if (tokens_.empty()) // no tokens configured: a loopback-only default
        return std::vector<std::string>(std::begin(config::role_names),
                                        std::end(config::role_names));
    if (const auto* t = match(auth))
        return t->roles;
    return std::nullopt;
}

void hub::hold(const std::string& sha256, const sio::socket_ptr& s) {
    auto& held = holders_[sha256];
    std::erase_if(held, [](const std::weak_ptr<sio::socket>& w) { return w.expired(); });
    held.push_back(s);
}

void hub::on_connection(const sio::socket_ptr& s) {
    // echo(args...) acks with the same arguments, binary included: a cheap end-to-end probe.
    s->on("echo", [](sio::message& m, const sio::socket::ack_fn& ack) {
        if (ack)
            ack(std::move(m));
    });
    // Roles are fixed at connect; a reload that revokes the token ends the connection.
    const access who{roles(s->auth()).value_or(std::vector<std::string>{})};
    {
        std::lock_guard lock(mutex_);
        if (const auto* t = match(s->auth()))
            hold(t->sha256, s);
    }
    join_given_rooms(s, who);
    install_room_events(s, who);
    if (admin_.control)
        install_admin_events(s, admin_, who.has("admin"));
    if (workflows_)
        install_workflow_events(s, who);
    if (registry_)
        registry_->install(s, who);
    // Nothing asked of the hub goes unanswered, even what nobody serves.
    s->on_any([](std::string_view event, sio::message&, const sio::ack_fn& ack) {
        reply(ack,
              failure(error_code::not_found, "no component serves '" + std::string(event) + "'"));
    });
}

void hub::install_workflow_events(const sio::socket_ptr& s, const access& who) {
    auto answer = [](const sio::ack_fn& ack) {
        return [ack](json::object o) { reply(ack, std::move(o)); };
    };
    auto first = [](const sio::message& m) { return m.args.empty() ? json::value() : m.args[0]; };
    auto* p = workflows_;
    // A token's connections share its limit; without tokens each connection has its own.
    std::string limit_key = "connection:" + s->id();
    {
        std::lock_guard lock(mutex_);
        if (const auto* t = match(s->auth()))
            limit_key = "token:" + t->sha256;
    }
    auto* limits = &submissions_;
    s->on("submit_workflow", [p, answer, first, who, limits, limit_key,
                              weak = std::weak_ptr<sio::socket>(s)](sio::message& m,
                                                                   const sio::ack_fn& ack) {
        if (!who.has("submit"))
            return reply(ack, needs_role("submit_workflow", "submit"));
        if (auto wait = limits->take(limit_key))
            return reply(ack, failure(error_code::rate_limited,
                                      "more than [limits] submissions_per_second allows; try "
                                      "again in " + std::to_string(wait->count()) + " ms"));
        // The submitter joins the workflow's room before its first event is sent.
        // A workflow is the largest payload there is: read it where it lies, not from a copy.
        static const json::value none;
        p->submit(
            m.args.empty() ? none : m.args[0],
            [weak](const std::string& room) {
                if (auto s = weak.lock())
                    s->join(room);
            },
            answer(ack));
    });
    s->on("query_status", [p, answer, first, who](sio::message& m, const sio::ack_fn& ack) {
        if (!who.has("submit") && !who.has("observe"))
            return reply(ack, needs_role("query_status", "submit or observe"));
        p->status(first(m), answer(ack));
    });
    s->on("watch_workflow", [p, who, weak = std::weak_ptr<sio::socket>(s)](
                                sio::message& m, const sio::ack_fn& ack) {
        if (!who.has("submit") && !who.has("observe"))
            return reply(ack, needs_role("watch_workflow", "submit or observe"));
        static const json::value none;
        p->watch(
            m.args.empty() ? none : m.args[0],
            [weak](const std::string& room) {
                if (auto s = weak.lock())
                    s->join(room);
            },
            [weak](std::string_view event, json::object payload) {
                if (auto s = weak.lock())
                    s->emit(event, sio::message{json::array{std::move(payload)}, {}});
            },
            [ack](json::object o) { reply(ack, std::move(o)); });
    });
    s->on("cancel_workflow", [p, answer, first, who](sio::message& m, const sio::ack_fn& ack) {
        if (!who.has("submit"))
            return reply(ack, needs_role("cancel_workflow", "submit"));
        p->cancel(first(m), answer(ack));
    });
}

} // namespace gleitzeit::hub
