#include "hub/admin.hpp"

#include "hub/reply.hpp"
#include "hub/roles.hpp"
#include "hub/slot_control.hpp"
#include "hub/slots.hpp"

#include <gleitzeit/queue.hpp>

#include <boost/json/value_to.hpp>

namespace gleitzeit::hub {

namespace json = boost::json;

namespace {

const json::object* first_object(const sio::message& m) {
    return m.args.empty() ? nullptr : m.args.front().if_object();
}

std::string text_field(const json::object* o, std::string_view key) {
    const auto* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::size_t count_field(const json::object* o, std::string_view key, std::size_t fallback) {
    const auto* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_int64() && v->get_int64() >= 0 ? static_cast<std::size_t>(v->get_int64())
                                                      : fallback;
}

json::array slot_view(const slot_control& p, const std::string& slot) {
    for (auto& s : p.describe())
        if (s.at("slot").as_string() == slot)
            return std::move(s.at("generations").as_array());
    return {};
}

void swap_plugin(const admin_services& svc, const json::object* args, const sio::ack_fn& ack) {
    auto slot = text_field(args, "slot");
    auto path = text_field(args, "path");
    slot_kind kind{};
    if (path.empty() || !slot_kind_from_string(slot, kind))
        return reply(ack, failure(error_code::invalid_argument,
                                  "swap_plugin needs {slot, path}: slot is one of queue, resolver, "
                                  "registry, persistence or provider, path a plugin file"));
    // A NUL would cut the path where the loader reads it: refuse every control character.
    for (unsigned char c : path)
        if (c < 0x20 || c == 0x7f)
            return reply(ack, failure(error_code::invalid_argument,
                                      "swap_plugin's path holds a control character"));
    auto* control = svc.control;
    auto done = [control, ack, kind, path](const std::string& error) {
        if (!error.empty())
            return reply(ack, failure(error_code::plugin_error, error));
        // A provider's slot is named after its instance ([[providers]] name, by default the
        // plugin's), which only the file and the config know; each instance was swapped.
        std::vector<std::string> keys;
        if (kind == slot_kind::provider)
            for (const auto& p : control->providers_from(path))
                keys.push_back("provider:" + p);
        if (keys.empty())
            keys.emplace_back(to_string(kind));
        json::array swapped;
        for (const auto& key : keys)
            swapped.push_back(json::object{{"slot", key}, {"generations", slot_view(*control, key)}});
        auto first = swapped.front().as_object();
        reply(ack, {{"ok", true},
                    {"slot", first.at("slot")},
                    {"generations", first.at("generations")},
                    {"swapped", std::move(swapped)}});
    };
    control->swap(kind, path, done);
}

void enqueue_tasks(const admin_services& svc, const json::object* args, const sio::ack_fn& ack) {
    const auto* list = args ? args->if_contains("tasks") : nullptr;
    if (!list || !list->is_array())
        return reply(ack, failure(error_code::invalid_argument, "enqueue_tasks needs {tasks: [...]}"));
    // Every task is read before any is queued: a bad one refuses the whole batch.
    auto tasks = std::make_shared<std::vector<task>>();
    try {
        *tasks = json::value_to<std::vector<task>>(*list);
    } catch (const std::exception& e) {
        return reply(ack, failure(error_code::invalid_argument, e.what()));
    }
    svc.slots->with<queue>([tasks, ack](queue* q) {
        if (!q)
            return reply(ack, failure(error_code::not_found, "the queue slot is empty"));
        std::vector<std::string> queued;
        queued.reserve(tasks->size());
        try {
            for (auto& t : *tasks) {
                auto id = t.id;
                q->enqueue(std::move(t));
                queued.push_back(std::move(id));
            }
        } catch (const std::exception& e) {
            // The queue refused one (an id queued already, in the queue or earlier in this
            // batch): those of the batch before it are taken out again, as docs/events.md
            // promises that one bad task refuses the batch.
            for (const auto& id : queued)
                q->remove(id);
            return reply(ack, failure(error_code::invalid_argument, e.what()));
        }
        reply(ack, {{"ok", true}, {"enqueued", queued.size()}});
    });
}

void list_queue(const admin_services& svc, const json::object* args, const sio::ack_fn& ack) {
    auto offset = count_field(args, "offset", 0);
    auto limit = count_field(args, "limit", 1000);
    svc.slots->with<queue>([ack, offset, limit](queue* q) {
        if (!q)
            return reply(ack, failure(error_code::not_found, "the queue slot is empty"));
        json::array ids;
        for (auto& id : q->list(offset, limit))
            ids.emplace_back(std::move(id));
        reply(ack, {{"ok", true}, {"size", q->stats().size}, {"tasks", std::move(ids)}});
    });
}

} // namespace

void install_admin_events(const sio::socket_ptr& s, const admin_services& svc, bool is_admin) {
    using handler = void (*)(const admin_services&, const json::object*, const sio::ack_fn&);
    const std::pair<const char*, handler> events[] = {
        {"list_plugins",
         [](const admin_services& v, const json::object*, const sio::ack_fn& ack) {
             reply(ack, {{"ok", true}, {"slots", v.control->describe()}});
         }},
        {"swap_plugin", swap_plugin},
        {"reload_config",
         [](const admin_services& v, const json::object*, const sio::ack_fn& ack) {
             v.reload("reload_config", [ack](json::object outcome) {
                 if (outcome.at("ok").as_bool())
                     return reply(ack, {{"ok", true}, {"reload", std::move(outcome)}});
                 auto r = failure(error_code::invalid_argument,
                                  std::string(outcome.at("error").as_string()));
                 r["reload"] = std::move(outcome);
                 reply(ack, std::move(r));
             });
         }},
        {"enqueue_tasks", enqueue_tasks},
        {"list_queue", list_queue},
    };
    for (const auto& [name, fn] : events) {
        std::string event = name;
        s->on(event, [svc, is_admin, event, fn = fn](sio::message& m, const sio::ack_fn& ack) {
            if (!is_admin)
                return reply(ack, needs_role(event, "admin"));
            fn(svc, first_object(m), ack);
        });
    }
}

} // namespace gleitzeit::hub
