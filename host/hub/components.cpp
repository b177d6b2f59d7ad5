#include "hub/components.hpp"

#include "hub/pipeline.hpp"
#include "hub/remote_provider.hpp"
#include "hub/remote_slots.hpp"
#include "hub/routing.hpp"
#include "hub/slot_control.hpp"
#include "log/log.hpp"

#include <gleitzeit/plugin.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <atomic>
#include <regex>

namespace gleitzeit::hub {

namespace asio = boost::asio;
namespace json = boost::json;

struct components::component {
    std::string id, type, version, socket_id;
    slot_kind kind = slot_kind::provider;
    std::vector<std::string> capabilities;
    std::vector<std::string> protocols;
    std::size_t max_concurrency = 1;
    std::string connected_at, last_heartbeat;
    json::object metrics;
    std::unique_ptr<asio::steady_timer> heartbeat;
    // A provider's, to register it again with a registry that comes later.
    std::vector<protocol_spec> specs;
    std::shared_ptr<provider_link> link;
    // A slot component's: set on the slot's strand once it fills the slot, read by gone().
    std::atomic<bool> fills_slot{false};
};

namespace {

json::object refused(const std::string& why) {
    return failure(error_code::invalid_argument, "register_component: " + why);
}

const json::value* field(const json::object& o, std::string_view key) {
    return o.if_contains(key);
}

std::string optional_string(const json::object& o, std::string_view key) {
    const auto* v = field(o, key);
    if (!v)
        return {};
    if (!v->is_string())
        throw std::invalid_argument(std::string(key) + " must be a string");
    return std::string(v->get_string());
}

} // namespace

components::components(asio::io_context& ioc, pipeline& workflows, emit_fn emit,
                       std::chrono::milliseconds heartbeat_interval)
    : ioc_(ioc), workflows_(workflows), emit_(std::move(emit)),
      heartbeat_interval_(heartbeat_interval) {}

components::~components() = default;

void components::serve_slots(slot_control& control, std::function<bool(slot_kind)> remote,
                             std::chrono::milliseconds call_timeout) {
    std::lock_guard lock(mutex_);
    control_ = &control;
    remote_ = std::move(remote);
    call_timeout_ = call_timeout;
}

void components::install(const sio::socket_ptr& s, const access& who) {
    std::weak_ptr<components> weak = shared_from_this();
    s->on("register_component", [weak, who, ws = std::weak_ptr<sio::socket>(s)](
                                    sio::message& m, const sio::ack_fn& ack) {
        auto self = weak.lock();
        auto s = ws.lock();
        if (!self || !s)
            return;
        const json::value payload = m.args.empty() ? json::value() : m.args[0];
        const auto* o = payload.if_object();
        const auto* type = o ? o->if_contains("component_type") : nullptr;
        const bool provider = type && type->is_string() && type->get_string() == "provider";
        if (!who.has(provider ? "provider" : "component"))
            return reply(ack, needs_role(provider ? "register_component of a provider"
                                                  : "register_component",
                                         provider ? "provider" : "component"));
        self->register_component(s, payload, ack);
    });
    s->on("heartbeat_response", [weak, id = s->id()](sio::message& m, const sio::ack_fn&) {
        auto self = weak.lock();
        if (!self)
            return;
        std::lock_guard lock(self->mutex_);
        auto it = self->id_of_socket_.find(id);
        if (it == self->id_of_socket_.end())
            return;
        auto& c = *self->by_id_.at(it->second);
        c.last_heartbeat = timestamp_now();
        const auto* o = m.args.empty() ? nullptr : m.args[0].if_object();
        if (const auto* metrics = o ? o->if_contains("metrics") : nullptr;
            metrics && metrics->is_object())
            c.metrics = metrics->get_object();
    });
    // A registered provider's news of a call it runs (docs/events.md, "Components"); the
    // pipeline passes it on only while that call runs at this provider.
    s->on("task_progress", [weak, id = s->id()](sio::message& m, const sio::ack_fn&) {
        auto self = weak.lock();
        auto* o = m.args.empty() ? nullptr : m.args[0].if_object();
        if (!self || !o)
            return;
        std::string provider;
        {
            std::lock_guard lock(self->mutex_);
            auto it = self->id_of_socket_.find(id);
            if (it == self->id_of_socket_.end() ||
                self->by_id_.at(it->second)->kind != slot_kind::provider)
                return;
            provider = it->second;
        }
        self->workflows_.progress(provider, std::move(*o));
    });
    s->on("list_components", [weak, who](sio::message&, const sio::ack_fn& ack) {
        auto self = weak.lock();
        if (!self)
            return;
        if (!who.has("observe"))
            return reply(ack, needs_role("list_components", "observe"));
        self->list(ack);
    });
    s->on_disconnect([weak, id = s->id()](const std::string&) {
        if (auto self = weak.lock())
            self->gone(id);
    });
}

std::string components::read_registration(const json::value& payload, component& c,
                                          std::vector<protocol_spec>& specs) {
    const auto* o = payload.if_object();
    if (!o)
        return "the payload must be an object";
    c.type = optional_string(*o, "component_type");
    if (!slot_kind_from_string(c.type, c.kind))
        return "component_type must be one of provider, queue, resolver, registry, persistence "
               "(got '" + c.type + "')";
    c.id = optional_string(*o, "component_id");
    c.version = optional_string(*o, "version");
    if (const auto* caps = field(*o, "capabilities"))
        c.capabilities = json::value_to<std::vector<std::string>>(*caps);
    if (const auto* mc = field(*o, "max_concurrency")) {
        if (!mc->is_int64() || mc->get_int64() < 1 || mc->get_int64() > 100000)
            return "max_concurrency must be an integer from 1 to 100000";
        c.max_concurrency = static_cast<std::size_t>(mc->get_int64());
    }
    if (const auto* ps = field(*o, "protocols")) {
        if (!ps->is_array())
            return "protocols must be an array";
        static const std::regex id_pattern("^[a-z0-9_.-]+/v[0-9]+$");
        for (const auto& p : ps->get_array()) {
            specs.push_back(json::value_to<protocol_spec>(p));
            if (!std::regex_match(specs.back().id, id_pattern))
                return "protocol id '" + specs.back().id + "' is not of the form name/vN, e.g. echo/v1";
            c.protocols.push_back(specs.back().id);
        }
    }
    if (c.kind == slot_kind::provider && specs.empty())
        return "a provider must register at least one protocol";
    if (c.kind != slot_kind::provider) {
        std::lock_guard lock(mutex_);
        if (!control_ || !remote_(c.kind))
            return "the " + c.type + " slot is not configured remote (config: [slots." + c.type +
                   "] remote = true)";
    }
    return {};
}

void components::register_component(const sio::socket_ptr& s, const json::value& payload,
                                    const sio::ack_fn& ack) {
    auto c = std::make_shared<component>();
    std::vector<protocol_spec> specs;
    try {
        if (auto why = read_registration(payload, *c, specs); !why.empty())
            return reply(ack, refused(why));
    } catch (const std::exception& e) {
        return reply(ack, refused(e.what()));
    }
    c->socket_id = s->id();
    c->connected_at = timestamp_now();
    {
        std::lock_guard lock(mutex_);
        if (id_of_socket_.count(s->id()))
            return reply(ack, refused("this connection is registered already as '" +
                                      id_of_socket_.at(s->id()) + "'"));
        if (c->id.empty())
            c->id = c->type + "-" + s->id();
        if (by_id_.count(c->id))
            return reply(ack, refused("component_id '" + c->id +
                                      "' is held by another connection"));
        by_id_[c->id] = c;
        id_of_socket_[s->id()] = c->id;
    }
    json::object registered{{"component_id", c->id},
                            {"component_type", c->type},
                            {"heartbeat_interval_ms", heartbeat_interval_.count()}};
    json::object connected{{"component_id", c->id},
                           {"component_type", c->type},
                           {"version", c->version},
                           {"protocols", json::value_from(c->protocols)},
                           {"max_concurrency", c->max_concurrency}};
    auto announce = [self = shared_from_this(), ws = std::weak_ptr<sio::socket>(s), c, ack,
                     registered, connected]() mutable {
        json::object answer = registered;
        answer["ok"] = true;
        reply(ack, std::move(answer));
        if (auto s = ws.lock())
            s->emit("component_registered", sio::message{json::array{registered}, {}});
        stamp(connected, "", c->id);
        self->emit_("components", "component_connected", std::move(connected));
        log::info("component " + c->id + " (" + c->type + ") registered");
        self->heartbeat(ws, c);
    };
    if (c->kind == slot_kind::provider) {
        c->specs = specs;
        c->link = remote_provider(s, c->id);
        workflows_.add_provider(c->id, std::move(specs), c->max_concurrency, c->link,
                                std::move(announce));
    } else {
        fill_slot(s, c, c->kind, std::move(announce), ack);
    }
}

void components::fill_slot(const sio::socket_ptr& s, const std::shared_ptr<component>& c,
                           slot_kind kind, std::function<void()> announce, const sio::ack_fn& ack) {
    auto link = std::make_shared<component_link>(s, c->id, kind, call_timeout_);
    control_->fill_remote(kind, remote_slot(kind, std::move(link)), c->id, c->version,
                          [self = shared_from_this(), ws = std::weak_ptr<sio::socket>(s), c, kind,
                           announce = std::move(announce), ack](const std::string& error) {
                              if (!error.empty()) {
                                  self->forget(c);
                                  return reply(ack, refused(error));
                              }
                              c->fills_slot = true;
                              // Gone while it was being put in: gone() may have missed fills_slot.
                              if (auto s = ws.lock(); !s || !s->connected())
                                  return self->control_->vacate_remote(kind, c->id,
                                                                       [](const std::string&) {});
                              announce();
                          });
}

void components::forget(const std::shared_ptr<component>& c) {
    std::lock_guard lock(mutex_);
    if (auto it = by_id_.find(c->id); it != by_id_.end() && it->second == c)
        by_id_.erase(it);
    if (auto it = id_of_socket_.find(c->socket_id);
        it != id_of_socket_.end() && it->second == c->id)
        id_of_socket_.erase(it);
}

void components::slot_filled(slot_kind kind) {
    if (kind != slot_kind::registry)
        return;
    std::vector<std::shared_ptr<component>> providers;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, c] : by_id_)
            if (c->kind == slot_kind::provider && c->link)
                providers.push_back(c);
    }
    for (const auto& c : providers)
        workflows_.add_provider(c->id, c->specs, c->max_concurrency, c->link, [] {});
}

void components::heartbeat(std::weak_ptr<sio::socket> ws, std::shared_ptr<component> c) {
    c->heartbeat = std::make_unique<asio::steady_timer>(ioc_, heartbeat_interval_);
    c->heartbeat->async_wait([weak = weak_from_this(), ws, wc = std::weak_ptr<component>(c)](
                                 boost::system::error_code ec) {
        auto self = weak.lock();
        auto c = wc.lock();
        auto s = ws.lock();
        if (ec || !self || !c || !s)
            return;
        s->emit("heartbeat", sio::message{json::array{json::object{{"_timestamp", timestamp_now()}}}, {}});
        self->heartbeat(ws, c);
    });
}

void components::gone(const std::string& socket_id) {
    std::shared_ptr<component> c;
    {
        std::lock_guard lock(mutex_);
        auto it = id_of_socket_.find(socket_id);
        if (it == id_of_socket_.end())
            return;
        c = by_id_.at(it->second);
        by_id_.erase(it->second);
        id_of_socket_.erase(it);
    }
    if (c->heartbeat)
        c->heartbeat->cancel();
    auto tell = [self = shared_from_this(), c](std::size_t requeued) {
        json::object payload{{"component_id", c->id},
                             {"component_type", c->type},
                             {"requeued", requeued}};
        stamp(payload, "", "hub");
        self->emit_("components", "component_disconnected", std::move(payload));
        log::info("component " + c->id + " disconnected; " + std::to_string(requeued) +
                  " calls in flight requeued");
    };
    if (c->kind == slot_kind::provider)
        workflows_.remove_provider(c->id, tell);
    else if (c->fills_slot)
        // Told once the slot is empty: a component that registers after hearing it finds
        // the slot free.
        control_->vacate_remote(c->kind, c->id, [tell](const std::string&) { tell(0); });
    else
        tell(0);
}

void components::list(const sio::ack_fn& ack) {
    workflows_.providers([self = shared_from_this(), ack](json::array providers) {
        json::array out;
        std::lock_guard lock(self->mutex_);
        for (auto& v : providers) {
            auto& p = v.as_object();
            if (!p.at("local").as_bool())
                continue;
            out.push_back(json::object{{"component_id", p.at("name")},
                                       {"component_type", "provider"},
                                       {"local", true},
                                       {"protocols", p.at("protocols")},
                                       {"max_concurrency", p.at("max_concurrency")},
                                       {"in_flight", p.at("in_flight")}});
        }
        for (const auto& [id, c] : self->by_id_) {
            std::size_t in_flight = 0;
            for (const auto& v : providers)
                if (v.as_object().at("name").as_string() == id)
                    in_flight = v.as_object().at("in_flight").to_number<std::size_t>();
            json::object e{{"component_id", id},
                           {"component_type", c->type},
                           {"local", false},
                           {"version", c->version},
                           {"capabilities", json::value_from(c->capabilities)},
                           {"protocols", json::value_from(c->protocols)},
                           {"max_concurrency", c->max_concurrency},
                           {"in_flight", in_flight},
                           {"connected_at", c->connected_at}};
            if (!c->last_heartbeat.empty()) {
                e["last_heartbeat"] = c->last_heartbeat;
                e["metrics"] = c->metrics;
            }
            out.push_back(std::move(e));
        }
        reply(ack, {{"ok", true}, {"components", std::move(out)}});
    });
}

} // namespace gleitzeit::hub
