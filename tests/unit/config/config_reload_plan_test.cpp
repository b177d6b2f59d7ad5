// config::diff: what a reload must do to get from the running config to the next one.
#include "config/reload_plan.hpp"
#include "config/settings.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace cfg = gleitzeit::config;
namespace json = boost::json;
using gleitzeit::slot_kind;

namespace {

cfg::parse_options unchecked() {
    cfg::parse_options o;
    o.check_plugin_files = false;
    return o;
}

/// Settings for diff() tests: no plugin file needs to exist.
cfg::settings settings_of(std::string_view text) {
    return cfg::parse(text, "/etc/gleitzeit/gleitzeit.toml", unchecked());
}

/// The plan's slot and provider actions as "queue:swap", "provider-echo:add".
std::vector<std::string> actions(const cfg::reload_plan& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan.slots)
        out.push_back(std::string(gleitzeit::to_string(s.slot)) + ":" +
                      std::string(cfg::to_string(s.change)));
    for (const auto& p : plan.providers)
        out.push_back(p.name + ":" + std::string(cfg::to_string(p.change)));
    return out;
}

using strings = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(config_reload_plan)

BOOST_AUTO_TEST_CASE(unchanged_config_yields_an_empty_plan) {
    const char* text = "[server]\nport = 7000\nallowed_origins = [\"*\"]\n"
                       "[[auth.tokens]]\ntoken = \"t\"\n"
                       "[slots.queue]\nplugin = \"q\"\nconfig = { n = 1 }\n"
                       "[slots.registry]\nremote = true\n"
                       "[[providers]]\nplugin = \"echo\"\n";
    auto plan = cfg::diff(settings_of(text), settings_of(text));
    BOOST_TEST(plan.empty());
    BOOST_TEST(plan.restart_needed.empty());
    BOOST_TEST(plan.live.empty());
    BOOST_TEST(!plan.tokens_changed);
    BOOST_TEST(!plan.log_level_changed);
    BOOST_TEST(actions(plan) == (strings{"queue:unchanged", "registry:unchanged"}),
               boost::test_tools::per_element());
    BOOST_TEST(cfg::describe(plan).empty());

    auto none = cfg::diff(settings_of(""), settings_of(""));
    BOOST_TEST(none.empty());
    BOOST_TEST(actions(none).empty());
}

BOOST_AUTO_TEST_CASE(restart_needed_settings) {
    const std::string dir = cfg::default_plugins_directory;
    const std::vector<std::pair<std::string, std::string>> cases{
        {"[server]\nbind = \"0.0.0.0\"", "server.bind: 127.0.0.1 -> 0.0.0.0 (needs a restart)"},
        {"[server]\nport = 6681", "server.port: 6680 -> 6681 (needs a restart)"},
        {"[server]\npath = \"/rt\"", "server.path: /socket.io/ -> /rt/ (needs a restart)"},
        {"[server]\nthreads = 4", "server.threads: 0 -> 4 (needs a restart)"},
        {"[server]\nmax_connections = 5", "server.max_connections: 10000 -> 5 (needs a restart)"},
        {"[state]\ndirectory = \"/srv/state\"",
         "state.directory: /var/lib/gleitzeit -> /srv/state (needs a restart)"},
        {"[state]\nkeep_finished = 10", "state.keep_finished: 1000 -> 10 (needs a restart)"},
        {"[plugins]\ndirectory = \"/opt/gz\"",
         "plugins.directory: " + dir + " -> /opt/gz (needs a restart)"},
        {"[plugins]\ndropin = \"/opt/gz.d\"",
         "plugins.dropin: /etc/gleitzeit/plugins.d -> /opt/gz.d (needs a restart)"},
        {"[server]\nping_interval = 1000", "server.ping_interval: 25000 -> 1000 (needs a restart)"},
        {"[server]\nping_timeout = 2000", "server.ping_timeout: 20000 -> 2000 (needs a restart)"},
        {"[server]\nconnect_timeout = 3000",
         "server.connect_timeout: 45000 -> 3000 (needs a restart)"},
        {"[server]\nmax_payload = 4096", "server.max_payload: 1000000 -> 4096 (needs a restart)"},
        {"[plugins]\nwatch = false", "plugins.watch: true -> false (needs a restart)"},
        {"[plugins]\ndrain_timeout = 5000",
         "plugins.drain_timeout: 30000 -> 5000 (needs a restart)"},
    };
    auto running = settings_of("");
    for (const auto& [text, line] : cases) {
        BOOST_TEST_CONTEXT(text) {
            auto plan = cfg::diff(running, settings_of(text));
            BOOST_TEST(plan.restart_needed == strings{line}, boost::test_tools::per_element());
            BOOST_TEST(plan.live.empty());
            BOOST_TEST(!plan.empty());
            BOOST_TEST(actions(plan).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(live_changes) {
    struct live_case {
        std::string text;
        std::string line;
        bool tokens, log;
    };
    const std::vector<live_case> cases{
        {"[log]\nlevel = \"debug\"", "log.level: info -> debug", false, true},
        {"[[auth.tokens]]\ntoken = \"s3cret\"", "auth.tokens: changed", true, false},
        // The request guard is asked on every request: the next one gets the new lists.
        {"[server]\nallowed_origins = [\"*\", \"https://a.example\"]",
         "server.allowed_origins: [] -> [\"*\", \"https://a.example\"]", false, false},
        {"[server]\nallowed_hosts = [\"hub.example\"]",
         "server.allowed_hosts: [] -> [\"hub.example\"]", false, false},
        {"[auth]\nrevoke_grace = 2000", "auth.revoke_grace: 0 -> 2000", false, false},
    };
    auto running = settings_of("");
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.text) {
            auto plan = cfg::diff(running, settings_of(c.text));
            BOOST_TEST(plan.live == strings{c.line}, boost::test_tools::per_element());
            BOOST_TEST(plan.restart_needed.empty());
            BOOST_TEST(plan.tokens_changed == c.tokens);
            BOOST_TEST(plan.log_level_changed == c.log);
            BOOST_TEST(!plan.empty());
            BOOST_TEST(actions(plan).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(token_changes_never_print_the_token) {
    auto plan =
        cfg::diff(settings_of("[[auth.tokens]]\ntoken = \"old-secret\"\n"),
                  settings_of("[[auth.tokens]]\ntoken = \"old-secret\"\nroles = [\"admin\"]\n"));
    BOOST_TEST(plan.tokens_changed);
    BOOST_TEST(plan.live == strings{"auth.tokens: changed"}, boost::test_tools::per_element());
    for (const auto& line : cfg::describe(plan))
        BOOST_TEST(line.find("secret") == std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(slot_actions) {
    auto running = settings_of("[slots.queue]\nplugin = \"queue-memory\"\n"
                               "[slots.resolver]\nplugin = \"resolver-dag\"\n"
                               "[slots.registry]\nplugin = \"registry-default\"\n");
    auto next = settings_of("[slots.queue]\nplugin = \"queue-redis\"\n"
                            "[slots.resolver]\nplugin = \"resolver-dag\"\n"
                            "[slots.persistence]\nplugin = \"persistence-sqlite\"\n");
    auto plan = cfg::diff(running, next);
    BOOST_TEST(actions(plan) == (strings{"queue:swap", "resolver:unchanged", "registry:unload",
                                         "persistence:load"}),
               boost::test_tools::per_element());
    BOOST_REQUIRE_EQUAL(plan.slots.size(), 4u);
    const auto& swap = plan.slots[0];
    BOOST_TEST(swap.running->plugin == "queue-memory");
    BOOST_TEST(swap.next->plugin == "queue-redis"); // the swap carries the new settings
    BOOST_TEST(swap.next->file == std::string(cfg::default_plugins_directory) + "/queue-redis.so");
    BOOST_TEST(plan.slots[1].next->plugin == "resolver-dag");
    BOOST_TEST(plan.slots[2].running->plugin == "registry-default");
    BOOST_TEST(!plan.slots[2].next.has_value());
    BOOST_TEST(!plan.slots[3].running.has_value());
    BOOST_TEST(plan.slots[3].next->plugin == "persistence-sqlite");
    BOOST_TEST(plan.restart_needed.empty());
    BOOST_TEST(plan.live.empty());
    BOOST_TEST(!plan.empty());
    BOOST_TEST(cfg::describe(plan) == (strings{"slots.queue: swap queue-memory -> queue-redis",
                                               "slots.registry: unload registry-default",
                                               "slots.persistence: load persistence-sqlite"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(slot_swap_on_file_remote_or_config) {
    const std::string base = "[slots.queue]\nplugin = \"q\"\n";
    auto running = settings_of(base);
    for (const char* extra :
         {"file = \"/opt/q.so\"\n", "remote = true\n", "config = { capacity = 5 }\n"}) {
        BOOST_TEST_CONTEXT(extra) {
            auto plan = cfg::diff(running, settings_of(base + extra));
            BOOST_TEST(actions(plan) == strings{"queue:swap"}, boost::test_tools::per_element());
            BOOST_TEST(plan.restart_needed.empty());
            BOOST_TEST(plan.live.empty());
        }
    }
    // A change inside the config table, not only its presence.
    auto plan = cfg::diff(settings_of(base + "config = { capacity = 5 }\n"),
                          settings_of(base + "config = { capacity = 6 }\n"));
    BOOST_TEST(actions(plan) == strings{"queue:swap"}, boost::test_tools::per_element());
    BOOST_TEST(plan.slots.at(0).next->config.at("capacity").as_int64() == 6);

    // Moving the plugin directory moves every defaulted file: a restart, and swaps.
    plan = cfg::diff(running, settings_of("[plugins]\ndirectory = \"/opt/gz\"\n" + base));
    BOOST_TEST(actions(plan) == strings{"queue:swap"}, boost::test_tools::per_element());
    BOOST_TEST(plan.restart_needed.size() == 1u);
    BOOST_TEST(cfg::describe(plan).back() == "slots.queue: swap q -> q");

    plan = cfg::diff(running, settings_of("[slots.queue]\nremote = true\n"));
    BOOST_TEST(cfg::describe(plan) == strings{"slots.queue: swap q -> remote"},
               boost::test_tools::per_element());

    // Remote before and after: the component stays, whatever else the table says.
    plan = cfg::diff(settings_of("[slots.queue]\nremote = true\n"),
                     settings_of("[slots.queue]\nremote = true\nconfig = { capacity = 5 }\n"));
    BOOST_TEST(actions(plan) == strings{"queue:unchanged"}, boost::test_tools::per_element());
    BOOST_TEST(cfg::describe(plan).empty());
}

BOOST_AUTO_TEST_CASE(provider_actions) {
    auto running = settings_of("[[providers]]\nplugin = \"echo\"\n"
                               "[[providers]]\nplugin = \"shell\"\nconfig = { jobs = 2 }\n"
                               "[[providers]]\nplugin = \"old\"\n"
                               "[[providers]]\nplugin = \"llm\"\n");
    auto next = settings_of("[[providers]]\nplugin = \"new\"\nconfig = { x = 1 }\n"
                            "[[providers]]\nplugin = \"llm\"\nfile = \"/opt/llm2.so\"\n"
                            "[[providers]]\nplugin = \"shell\"\nconfig = { jobs = 4 }\n"
                            "[[providers]]\nplugin = \"echo\"\n");
    auto plan = cfg::diff(running, next);
    BOOST_TEST(actions(plan) == (strings{"new:add", "llm:swap", "shell:swap", "old:remove"}),
               boost::test_tools::per_element());
    BOOST_REQUIRE_EQUAL(plan.providers.size(), 4u);
    BOOST_TEST(!plan.providers[0].running.has_value());
    BOOST_TEST(json::serialize(plan.providers[0].next->config) == R"({"x":1})");
    BOOST_TEST(plan.providers[1].running->file ==
               std::string(cfg::default_plugins_directory) + "/llm.so");
    BOOST_TEST(plan.providers[1].next->file == "/opt/llm2.so");
    BOOST_TEST(plan.providers[2].running->config.at("jobs").as_int64() == 2);
    BOOST_TEST(plan.providers[2].next->config.at("jobs").as_int64() == 4);
    BOOST_TEST(plan.providers[3].running->plugin == "old");
    BOOST_TEST(!plan.providers[3].next.has_value());
    BOOST_TEST(plan.slots.empty());
    BOOST_TEST(!plan.empty());
    BOOST_TEST(cfg::describe(plan) ==
                   (strings{"providers: add new", "providers: swap llm", "providers: swap shell",
                            "providers: remove old (drain)"}),
               boost::test_tools::per_element());

    // Only the order changed: nothing to do.
    auto reordered =
        cfg::diff(settings_of("[[providers]]\nplugin = \"a\"\n[[providers]]\nplugin = \"b\"\n"),
                  settings_of("[[providers]]\nplugin = \"b\"\n[[providers]]\nplugin = \"a\"\n"));
    BOOST_TEST(reordered.empty());
}

// Two instances of one plugin are two providers: each is added, swapped and drained by its
// own name, and renaming an instance drains the old name and adds the new one.
BOOST_AUTO_TEST_CASE(provider_instances) {
    auto running = settings_of("[[providers]]\nplugin = \"llm\"\nname = \"llm-a\"\n"
                               "[[providers]]\nplugin = \"llm\"\nname = \"llm-b\"\n");
    auto next = settings_of("[[providers]]\nplugin = \"llm\"\nname = \"llm-a\"\n"
                            "[[providers]]\nplugin = \"llm\"\nname = \"llm-c\"\n"
                            "config = { url = \"http://127.0.0.1:1\" }\n");
    auto plan = cfg::diff(running, next);
    BOOST_TEST(actions(plan) == (strings{"llm-c:add", "llm-b:remove"}),
               boost::test_tools::per_element());
    BOOST_TEST(plan.providers[0].next->plugin == "llm");
    BOOST_TEST(plan.providers[1].running->plugin == "llm");
    BOOST_TEST(cfg::diff(running, running).empty());
}

BOOST_AUTO_TEST_CASE(describe_puts_restart_and_live_lines_first) {
    auto plan =
        cfg::diff(settings_of(""), settings_of("[server]\nport = 1\n[log]\nlevel = \"warn\"\n"
                                               "[slots.queue]\nplugin = \"q\"\n"
                                               "[[providers]]\nplugin = \"p\"\n"));
    BOOST_TEST(cfg::describe(plan) ==
                   (strings{"server.port: 6680 -> 1 (needs a restart)", "log.level: info -> warn",
                            "slots.queue: load q", "providers: add p"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
