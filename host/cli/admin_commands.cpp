// components, plugins, swap, reload: what runs in the hub, and changing it while it serves.

#include "commands.hpp"
#include "hub_connection.hpp"
#include "table.hpp"
#include "terminal.hpp"

#include <boost/json/serialize.hpp>

#include <filesystem>
#include <iostream>

namespace gleitzeit::cli {
namespace {

namespace json = boost::json;

std::string text(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null())
        return "";
    return v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
}

const json::array& array_of(const json::object& o, std::string_view key) {
    static const json::array none;
    const auto* v = o.if_contains(key);
    return v && v->is_array() ? v->get_array() : none;
}

/// "echo/v1, llm/v1": protocols listed as ids or as {id, ...}.
std::string protocols(const json::object& component) {
    std::string list;
    for (const auto& p : array_of(component, "protocols")) {
        auto id = p.is_string()                                    ? std::string(p.get_string())
                  : p.is_object() && p.get_object().contains("id") ? text(p.get_object(), "id")
                                                                   : json::serialize(p);
        list += (list.empty() ? "" : ", ") + id;
    }
    return list;
}

/// One row per generation of each slot, as list_plugins and swap_plugin give them.
void add_generations(table& t, const std::string& slot, const std::string& kind,
                     const json::array& generations) {
    for (const auto& g : generations) {
        const auto* o = g.if_object();
        if (!o)
            continue;
        auto pause = text(*o, "swap_pause_ms");
        t.add({slot, kind, text(*o, "generation"), text(*o, "name"), text(*o, "version"),
               text(*o, "state"), text(*o, "in_flight"), pause.empty() ? "" : pause + " ms",
               text(*o, "loaded_at"), text(*o, "file")});
    }
}

table generations_table() {
    return table({"SLOT", "KIND", "GEN", "NAME", "VERSION", "STATE", "IN FLIGHT", "SWAP PAUSE",
                  "LOADED AT", "FILE"});
}

} // namespace

int components_command(const global_options& g) {
    hub_connection hub(g);
    hub.connect();
    json::object reply;
    try {
        reply = require_ok(hub.ask("list_components"));
    } catch (const no_reply& e) {
        throw no_reply(e.exit(), std::string(e.what()) + " (a hub without list_components does "
                                                         "not answer it)");
    }
    if (g.json) {
        print_json(reply);
        return exit_code::ok;
    }
    table t(
        {"COMPONENT", "TYPE", "LOCAL", "VERSION", "PROTOCOLS", "IN FLIGHT/MAX", "LAST HEARTBEAT"});
    for (const auto& c : array_of(reply, "components")) {
        const auto* o = c.if_object();
        if (!o)
            continue;
        const auto* local = o->if_contains("local");
        auto in_flight = text(*o, "in_flight");
        if (auto max = text(*o, "max_concurrency"); !max.empty())
            in_flight += "/" + max;
        t.add({text(*o, "component_id"), text(*o, "component_type"),
               local && local->is_bool() && local->get_bool() ? "yes" : "no", text(*o, "version"),
               protocols(*o), in_flight, text(*o, "last_heartbeat")});
    }
    if (t.empty())
        std::cout << "no components\n";
    else
        t.print(std::cout, terminal_columns());
    return exit_code::ok;
}

int plugins_command(const global_options& g) {
    hub_connection hub(g);
    hub.connect();
    auto reply = require_ok(hub.ask("list_plugins"));
    if (g.json) {
        print_json(reply);
        return exit_code::ok;
    }
    auto t = generations_table();
    for (const auto& s : array_of(reply, "slots"))
        if (const auto* o = s.if_object())
            add_generations(t, text(*o, "slot"), text(*o, "kind"), array_of(*o, "generations"));
    if (t.empty())
        std::cout << "no plugins loaded\n";
    else
        t.print(std::cout, terminal_columns());
    return exit_code::ok;
}

int swap_command(const global_options& g, const std::string& slot, const std::string& path) {
    // The hub resolves a relative path against its own directory, not the caller's.
    auto file = std::filesystem::absolute(path).lexically_normal().string();
    hub_connection hub(g);
    hub.connect();
    auto reply = require_ok(hub.ask("swap_plugin", json::object{{"slot", slot}, {"path", file}}));
    if (g.json) {
        print_json(reply);
        return exit_code::ok;
    }
    std::cout << "swapped " << text(reply, "slot") << " to " << file << '\n';
    auto t = generations_table();
    add_generations(t, text(reply, "slot"), slot, array_of(reply, "generations"));
    t.print(std::cout, terminal_columns());
    return exit_code::ok;
}

int reload_command(const global_options& g) {
    hub_connection hub(g);
    hub.connect();
    auto reply = require_ok(hub.ask("reload_config"));
    if (g.json) {
        print_json(reply);
        return exit_code::ok;
    }
    const auto* r = reply.if_contains("reload");
    const auto& reload = r && r->is_object() ? r->get_object() : json::object();
    std::cout << "reloaded the config at " << text(reload, "at") << '\n';
    const auto& applied = array_of(reload, "applied");
    const auto& restart = array_of(reload, "restart_needed");
    if (applied.empty() && restart.empty())
        std::cout << "nothing changed\n";
    for (const auto& a : applied)
        std::cout << "applied: "
                  << (a.is_string() ? std::string(a.get_string()) : json::serialize(a)) << '\n';
    for (const auto& a : restart)
        std::cout << "needs a restart: "
                  << (a.is_string() ? std::string(a.get_string()) : json::serialize(a)) << '\n';
    return exit_code::ok;
}

} // namespace gleitzeit::cli
