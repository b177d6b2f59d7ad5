#include "hub/component_link.hpp"

#include "hub/routing.hpp"
#include "log/log.hpp"

#include <boost/json/serialize.hpp>

#include <future>

namespace gleitzeit::hub {

namespace json = boost::json;

component_link::component_link(std::weak_ptr<sio::socket> connection, std::string component_id,
                               slot_kind kind, std::chrono::milliseconds timeout)
    : connection_(std::move(connection)), id_(std::move(component_id)), kind_(kind),
      timeout_(timeout) {}

std::string component_link::who() const {
    return std::string(to_string(kind_)) + " component " + id_;
}

void component_link::log_failure(std::string_view event, const std::exception& e) const {
    log::warn(std::string(event) + " to " + who() + " failed: " + e.what());
}

json::object component_link::call(std::string_view event, json::object payload,
                                  const std::string& correlation_id) const {
    auto gone = [&] {
        return component_gone(error_code::not_found,
                              who() + " went before it answered " + std::string(event));
    };
    auto s = connection_.lock();
    if (!s || !s->connected())
        throw gone();
    stamp(payload, correlation_id, "hub");
    auto answer = std::make_shared<std::promise<std::optional<sio::message>>>();
    auto reply = answer->get_future();
    s->emit(event, sio::message{json::array{std::move(payload)}, {}}, timeout_,
            [answer](std::optional<sio::message> m) { answer->set_value(std::move(m)); });
    s.reset(); // the connection may go while we wait; the ack then fails at once
    // The socket's own timer answers at timeout_; this bound only guards against a lost one.
    if (reply.wait_for(timeout_ + std::chrono::seconds(1)) != std::future_status::ready)
        throw error(error_code::timeout, who() + " did not answer " + std::string(event) +
                                             " within " + std::to_string(timeout_.count()) + " ms");
    auto m = reply.get();
    if (!m) {
        if (auto c = connection_.lock(); !c || !c->connected())
            throw gone();
        throw error(error_code::timeout, who() + " did not answer " + std::string(event) +
                                             " within " + std::to_string(timeout_.count()) + " ms");
    }
    const auto* o = m->args.empty() ? nullptr : m->args[0].if_object();
    const auto* ok = o ? o->if_contains("ok") : nullptr;
    if (ok && ok->is_bool() && ok->get_bool())
        return *o;
    const auto* e = o ? o->if_contains("error") : nullptr;
    const auto* eo = e ? e->if_object() : nullptr;
    const auto* message = eo ? eo->if_contains("message") : nullptr;
    if (ok && ok->is_bool() && message && message->is_string()) {
        auto code = error_code::plugin_error;
        if (const auto* c = eo->if_contains("code"); c && c->is_string()) {
            code = error_code_from_string(c->get_string());
            if (code == error_code::internal && c->get_string() != "internal")
                code = error_code::plugin_error; // a name of the component's own
        }
        // The component's own words, as a plugin's exception would carry them.
        throw error(code, std::string(message->get_string()));
    }
    throw error(error_code::plugin_error,
                who() + " replied to " + std::string(event) +
                    " with neither {ok: true, ...} nor {ok: false, error: {code, message}}: " +
                    (m->args.empty() ? std::string("nothing") : json::serialize(m->args[0])));
}

} // namespace gleitzeit::hub
