// The plugin half of gleitzeit.toml ([state], [plugins], [slots.<slot>], [[providers]]) and
// config::diff, the plan a reload applies. Errors are pinned to the exact
// "source:line:column: reason" an operator sees.

#include "config/reload_plan.hpp"
#include "config/settings.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace cfg = gleitzeit::config;
namespace fs = std::filesystem;
namespace json = boost::json;
using gleitzeit::slot_kind;

namespace {

/// A directory of its own under the system temp directory, removed with everything in it.
class temp_dir {
public:
    temp_dir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() /
                ("gleitzeit-config-plugins-" + std::to_string(rd()) + "-" +
                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        fs::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const fs::path& path() const { return path_; }
    std::string str() const { return path_.string(); }

    /// Creates the file `relative` (and its directories) with `content`; returns its path.
    std::string write(const std::string& relative, const std::string& content = "") const {
        auto p = path_ / relative;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << content;
        return p.string();
    }

private:
    fs::path path_;
};

cfg::parse_options unchecked() {
    cfg::parse_options o;
    o.check_plugin_files = false;
    return o;
}

/// The message of the config_error that parsing `text` throws, or "" when it parses.
std::string error_of(std::string_view text, const cfg::parse_options& options = {}) {
    try {
        cfg::parse(text, "test.toml", options);
    } catch (const cfg::config_error& e) {
        return e.what();
    }
    return "";
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
        out.push_back(p.plugin + ":" + std::string(cfg::to_string(p.change)));
    return out;
}

using strings = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(config_plugins)

BOOST_AUTO_TEST_CASE(defaults) {
    auto s = cfg::parse("", "empty.toml");
    BOOST_TEST(s.state.directory == "/var/lib/gleitzeit");
    BOOST_TEST(s.plugins.directory == cfg::default_plugins_directory);
    BOOST_TEST(s.plugins.dropin == "/etc/gleitzeit/plugins.d");
    BOOST_TEST(s.plugins.watch == true);
    BOOST_TEST(s.plugins.drain_timeout.count() == 30000);
    BOOST_TEST(s.slots.empty());
    BOOST_TEST(s.providers.empty());
    // An empty [[providers]] list is "none", not a type error.
    BOOST_TEST(cfg::parse("providers = []\n", "t.toml").providers.empty());
}

BOOST_AUTO_TEST_CASE(every_key) {
    temp_dir tmp;
    auto queue_so = tmp.write("lib/queue-memory.so");
    auto resolver_so = tmp.write("other/resolver.so");
    auto persistence_so = tmp.write("rel/persist.so");
    auto echo_so = tmp.write("lib/provider-echo.so");
    auto shell_so = tmp.write("shell.so");
    std::string text = R"(
[state]
directory = "/srv/gz/state"

[plugins]
directory = "lib"
dropin = "/srv/gz/drop"
watch = false
drain_timeout = 1500

[slots.queue]
plugin = "queue-memory"
config = { capacity = 10 }

[slots.resolver]
plugin = "resolver-dag"
file = ")" + resolver_so +
                       R"("
remote = false

[slots.registry]
remote = true

[slots.persistence]
plugin = "persistence-sqlite"
file = "rel/persist.so"

[[providers]]
plugin = "provider-echo"
config = { delay = 5 }

[[providers]]
plugin = "provider-shell"
file = "shell.so"
)";
    cfg::parse_options options;
    options.base_directory = tmp.str();
    auto s = cfg::parse(text, "every.toml", options);

    BOOST_TEST(s.state.directory == "/srv/gz/state");
    BOOST_TEST(s.plugins.directory == (tmp.path() / "lib").string());
    BOOST_TEST(s.plugins.dropin == "/srv/gz/drop");
    BOOST_TEST(s.plugins.watch == false);
    BOOST_TEST(s.plugins.drain_timeout.count() == 1500);

    BOOST_REQUIRE_EQUAL(s.slots.size(), 4u);
    const auto& q = s.slots.at(slot_kind::queue);
    BOOST_TEST(q.plugin == "queue-memory");
    BOOST_TEST(q.file == queue_so); // <plugins.directory>/<plugin>.so
    BOOST_TEST(q.remote == false);
    BOOST_TEST(json::serialize(q.config) == R"({"capacity":10})");
    const auto& r = s.slots.at(slot_kind::resolver);
    BOOST_TEST(r.plugin == "resolver-dag");
    BOOST_TEST(r.file == resolver_so);
    BOOST_TEST(r.remote == false);
    BOOST_TEST(r.config.empty());
    const auto& reg = s.slots.at(slot_kind::registry);
    BOOST_TEST(reg.plugin == "");
    BOOST_TEST(reg.file == ""); // remote: no library, no default file
    BOOST_TEST(reg.remote == true);
    const auto& p = s.slots.at(slot_kind::persistence);
    BOOST_TEST(p.plugin == "persistence-sqlite");
    BOOST_TEST(p.file == persistence_so);

    BOOST_REQUIRE_EQUAL(s.providers.size(), 2u);
    BOOST_TEST(s.providers[0].plugin == "provider-echo");
    BOOST_TEST(s.providers[0].file == echo_so);
    BOOST_TEST(json::serialize(s.providers[0].config) == R"({"delay":5})");
    BOOST_TEST(s.providers[1].plugin == "provider-shell");
    BOOST_TEST(s.providers[1].file == shell_so);
    BOOST_TEST(s.providers[1].config.empty());
}

BOOST_AUTO_TEST_CASE(load_resolves_relative_paths_against_the_config_directory) {
    temp_dir tmp;
    auto queue_so = tmp.write("lib/queue-memory.so");
    auto resolver_so = tmp.write("conf/local/resolver.so");
    auto echo_so = tmp.write("echo.so");
    auto conf = tmp.write("conf/gleitzeit.toml", R"(
[state]
directory = "state"
[plugins]
directory = "../lib"
dropin = "plugins.d/"
[slots.queue]
plugin = "queue-memory"
[slots.resolver]
plugin = "resolver-dag"
file = "./local/../local/resolver.so"
[[providers]]
plugin = "provider-echo"
file = "../echo.so"
)");
    auto s = cfg::load(conf);
    BOOST_TEST(s.state.directory == (tmp.path() / "conf/state").string());
    BOOST_TEST(s.plugins.directory == (tmp.path() / "lib").string());
    BOOST_TEST(s.plugins.dropin == (tmp.path() / "conf/plugins.d/").string());
    BOOST_TEST(s.slots.at(slot_kind::queue).file == queue_so);
    BOOST_TEST(s.slots.at(slot_kind::resolver).file == resolver_so);
    BOOST_TEST(s.providers.at(0).file == echo_so);
}

BOOST_AUTO_TEST_CASE(parse_resolves_against_the_source_directory_or_the_option) {
    const char* text = "[slots.queue]\nplugin = \"q\"\nfile = \"./a/../x.so\"\n"
                       "[slots.resolver]\nplugin = \"r\"\nfile = \"/abs/r.so\"\n"
                       "[slots.registry]\nplugin = \"g\"\n";
    auto s = cfg::parse(text, "dir/test.toml", unchecked());
    BOOST_TEST(s.slots.at(slot_kind::queue).file == "dir/x.so");
    BOOST_TEST(s.slots.at(slot_kind::resolver).file == "/abs/r.so");
    BOOST_TEST(s.slots.at(slot_kind::registry).file ==
               std::string(cfg::default_plugins_directory) + "/g.so");

    auto options = unchecked();
    options.base_directory = "/base";
    s = cfg::parse(text, "dir/test.toml", options);
    BOOST_TEST(s.slots.at(slot_kind::queue).file == "/base/x.so");
    BOOST_TEST(s.slots.at(slot_kind::resolver).file == "/abs/r.so");

    // No directory in the source name: a relative path stays relative (to the process).
    s = cfg::parse(text, "test.toml", unchecked());
    BOOST_TEST(s.slots.at(slot_kind::queue).file == "x.so");
}

BOOST_AUTO_TEST_CASE(remote_slot_file_is_kept_but_not_checked) {
    auto s =
        cfg::parse("[slots.queue]\nremote = true\nplugin = \"q\"\nfile = \"/nonexistent/q.so\"\n",
                   "test.toml");
    const auto& q = s.slots.at(slot_kind::queue);
    BOOST_TEST(q.remote == true);
    BOOST_TEST(q.plugin == "q");
    BOOST_TEST(q.file == "/nonexistent/q.so");
}

BOOST_AUTO_TEST_CASE(config_table_becomes_json) {
    auto s = cfg::parse(R"([slots.queue]
plugin = "q"
[slots.queue.config]
int = 42
neg = -7
big = 9223372036854775807
float = 1.5
whole_float = 3.0
str = "s"
yes = true
no = false
list = [1, "two", 3.5, [false], { k = "v" }]
empty_list = []
table = { nested = { deep = "x" } }
date = 1979-05-27
time = 07:32:00.5
datetime = 1979-05-27T07:32:00Z
offset = 1979-05-27T00:32:00-07:00
local = 1979-05-27T07:32:00
)",
                        "test.toml", unchecked());
    const auto& c = s.slots.at(slot_kind::queue).config;
    auto expected = json::parse(R"({
        "int": 42, "neg": -7, "big": 9223372036854775807, "float": 1.5, "whole_float": 3.0,
        "str": "s", "yes": true, "no": false,
        "list": [1, "two", 3.5, [false], {"k": "v"}], "empty_list": [],
        "table": {"nested": {"deep": "x"}},
        "date": "1979-05-27", "time": "07:32:00.5",
        "datetime": "1979-05-27T07:32:00Z", "offset": "1979-05-27T00:32:00-07:00",
        "local": "1979-05-27T07:32:00"
    })");
    BOOST_TEST((json::value(c) == expected), json::serialize(c));
    // Integers stay integers and floats stay floats, even a float with no fraction.
    BOOST_TEST(c.at("int").is_int64());
    BOOST_TEST(c.at("big").as_int64() == 9223372036854775807LL);
    BOOST_TEST(c.at("whole_float").is_double());
    BOOST_TEST(c.at("list").as_array().at(0).is_int64());
    // toml++ keeps keys sorted; the JSON the plugin receives is in that order.
    BOOST_TEST(json::serialize(c.at("table")) == R"({"nested":{"deep":"x"}})");

    BOOST_TEST(error_of("[slots.queue]\nplugin = \"q\"\nconfig = { x = inf }\n", unchecked()) ==
               "test.toml:3:16: 'config.x' must be a finite number (JSON has no inf or nan)");
    BOOST_TEST(error_of("[[providers]]\nplugin = \"p\"\nconfig = { a = [nan] }\n", unchecked()) ==
               "test.toml:3:17: 'config.a[]' must be a finite number (JSON has no inf or nan)");
}

BOOST_AUTO_TEST_CASE(unknown_keys_suggest_the_near_one) {
    BOOST_TEST(error_of("[state]\ndirectroy = \"/x\"\n") ==
               "test.toml:2:1: unknown key 'directroy' in [state] (did you mean 'directory'?)");
    BOOST_TEST(error_of("[plugins]\ndropn = \"/x\"\n") ==
               "test.toml:2:1: unknown key 'dropn' in [plugins] (did you mean 'dropin'?)");
    BOOST_TEST(error_of("[plugins]\nwatched = true\n") ==
               "test.toml:2:1: unknown key 'watched' in [plugins] (did you mean 'watch'?)");
    BOOST_TEST(error_of("[slots.queue]\nplugin = \"q\"\nfiel = \"x.so\"\n", unchecked()) ==
               "test.toml:3:1: unknown key 'fiel' in [slots.queue] (did you mean 'file'?)");
    BOOST_TEST(error_of("[slots.queue]\nplugin = \"q\"\nremoet = true\n", unchecked()) ==
               "test.toml:3:1: unknown key 'remoet' in [slots.queue] (did you mean 'remote'?)");
    BOOST_TEST(error_of("[[providers]]\nplugn = \"p\"\n") ==
               "test.toml:2:1: unknown key 'plugn' in [[providers]] (did you mean 'plugin'?)");
    BOOST_TEST(error_of("[[providers]]\nplugin = \"p\"\nremote = true\n", unchecked()) ==
               "test.toml:3:1: unknown key 'remote' in [[providers]]");
    BOOST_TEST(
        error_of("[[provider]]\nplugin = \"p\"\n") ==
        "test.toml:1:3: unknown key 'provider' in the top level (did you mean 'providers'?)");
    BOOST_TEST(error_of("[slot.queue]\nplugin = \"p\"\n") ==
               "test.toml:1:2: unknown key 'slot' in the top level (did you mean 'slots'?)");
}

BOOST_AUTO_TEST_CASE(wrong_types) {
    BOOST_TEST(error_of("[state]\ndirectory = 5\n") ==
               "test.toml:2:13: 'directory' must be a string");
    BOOST_TEST(error_of("[state]\ndirectory = \"\"\n") ==
               "test.toml:2:13: 'directory' must not be empty");
    BOOST_TEST(error_of("state = \"/x\"\n") == "test.toml:1:9: 'state' must be a table");
    BOOST_TEST(error_of("[plugins]\ndropin = [\"/x\"]\n") ==
               "test.toml:2:10: 'dropin' must be a string");
    BOOST_TEST(error_of("[plugins]\nwatch = \"yes\"\n") ==
               "test.toml:2:9: 'watch' must be true or false");
    BOOST_TEST(error_of("[plugins]\ndrain_timeout = \"30s\"\n") ==
               "test.toml:2:17: 'drain_timeout' must be an integer");
    BOOST_TEST(error_of("[plugins]\ndrain_timeout = -1\n") ==
               "test.toml:2:17: 'drain_timeout' must be between 0 and 3600000");
    BOOST_TEST(error_of("[plugins]\ndrain_timeout = 0\n").empty());
    BOOST_TEST(error_of("slots = 1\n") == "test.toml:1:9: 'slots' must be a table");
    BOOST_TEST(error_of("[slots]\nqueue = \"queue-memory\"\n") ==
               "test.toml:2:9: 'slots.queue' must be a table");
    BOOST_TEST(error_of("[slots.queue]\nplugin = 1\n") ==
               "test.toml:2:10: 'plugin' must be a string");
    BOOST_TEST(error_of("[slots.queue]\nplugin = \"../evil\"\n") ==
               "test.toml:2:10: 'plugin' must be a plugin name (letters, digits, '-', '_', '.')");
    BOOST_TEST(error_of("[slots.queue]\nplugin = \"\"\n") ==
               "test.toml:2:10: 'plugin' must be a plugin name (letters, digits, '-', '_', '.')");
    BOOST_TEST(error_of("[slots.queue]\nplugin = \"q\"\nfile = true\n") ==
               "test.toml:3:8: 'file' must be a string");
    BOOST_TEST(error_of("[slots.queue]\nplugin = \"q\"\nfile = \"\"\n") ==
               "test.toml:3:8: 'file' must not be empty");
    BOOST_TEST(error_of("[slots.queue]\nremote = \"yes\"\n") ==
               "test.toml:2:10: 'remote' must be true or false");
    BOOST_TEST(error_of("[slots.queue]\nplugin = \"q\"\nconfig = \"x\"\n", unchecked()) ==
               "test.toml:3:10: 'config' must be a table");
    BOOST_TEST(error_of("providers = 1\n") ==
               "test.toml:1:13: 'providers' must be an array of tables ([[providers]])");
    BOOST_TEST(error_of("providers = [{ plugin = \"p\" }, 2]\n", unchecked()) ==
               "test.toml:1:13: 'providers' must be an array of tables ([[providers]])");
    BOOST_TEST(error_of("[providers]\nplugin = \"p\"\n") ==
               "test.toml:1:1: 'providers' must be an array of tables ([[providers]])");
    BOOST_TEST(error_of("[[providers]]\nplugin = \"p\"\nconfig = [1]\n", unchecked()) ==
               "test.toml:3:10: 'config' must be a table");
}

BOOST_AUTO_TEST_CASE(unknown_slot) {
    BOOST_TEST(error_of("[slots.queu]\nplugin = \"q\"\n") ==
               "test.toml:1:8: unknown slot 'queu' in [slots] (did you mean 'queue'?)");
    BOOST_TEST(error_of("[slots]\nregistr = { plugin = \"r\" }\n") ==
               "test.toml:2:1: unknown slot 'registr' in [slots] (did you mean 'registry'?)");
    BOOST_TEST(error_of("[slots.cache]\nplugin = \"c\"\n") ==
               "test.toml:1:8: unknown slot 'cache' in [slots]");
    BOOST_TEST(error_of("[slots.provider]\nplugin = \"p\"\n") ==
               "test.toml:1:8: unknown slot 'provider' in [slots] (providers are listed as "
               "[[providers]])");
}

BOOST_AUTO_TEST_CASE(missing_plugin) {
    BOOST_TEST(error_of("[slots.queue]\nfile = \"/x/q.so\"\n") ==
               "test.toml:1:1: [slots.queue] needs a 'plugin' (or remote = true)");
    BOOST_TEST(error_of("[slots.queue]\nremote = false\n") ==
               "test.toml:1:1: [slots.queue] needs a 'plugin' (or remote = true)");
    BOOST_TEST(error_of("[slots]\nresolver = {}\n") ==
               "test.toml:2:12: [slots.resolver] needs a 'plugin' (or remote = true)");
    BOOST_TEST(error_of("[[providers]]\nconfig = {}\n") ==
               "test.toml:1:1: [[providers]] needs a 'plugin'");
    BOOST_TEST(error_of("[[providers]]\nplugin = \"a\"\n\n[[providers]]\nfile = \"/x/b.so\"\n",
                        unchecked()) == "test.toml:4:1: [[providers]] needs a 'plugin'");
}

BOOST_AUTO_TEST_CASE(missing_plugin_file) {
    // Defaulted: the position is the plugin's name, from which the path was made.
    BOOST_TEST(error_of("[plugins]\ndirectory = \"/nonexistent-gz\"\n"
                        "[slots.queue]\nplugin = \"queue-memory\"\n") ==
               "test.toml:4:10: plugin file '/nonexistent-gz/queue-memory.so' for [slots.queue] "
               "does not exist");
    // Written: the position is the `file` value.
    BOOST_TEST(error_of("[slots.persistence]\nplugin = \"p\"\nfile = \"/nonexistent-gz/p.so\"\n") ==
               "test.toml:3:8: plugin file '/nonexistent-gz/p.so' for [slots.persistence] does "
               "not exist");
    BOOST_TEST(error_of("[[providers]]\nplugin = \"provider-echo\"\n",
                        [] {
                            cfg::parse_options o;
                            o.base_directory = "/base";
                            return o;
                        }()) == "test.toml:2:10: plugin file '" +
                                    std::string(cfg::default_plugins_directory) +
                                    "/provider-echo.so' for provider 'provider-echo' does not "
                                    "exist");
    BOOST_TEST(error_of("[[providers]]\nplugin = \"e\"\nfile = \"/nonexistent-gz/e.so\"\n") ==
               "test.toml:3:8: plugin file '/nonexistent-gz/e.so' for provider 'e' does not exist");

    // A directory is not a plugin file.
    temp_dir tmp;
    BOOST_TEST(error_of("[slots.queue]\nplugin = \"q\"\nfile = \"" + tmp.str() + "\"\n") ==
               "test.toml:3:8: plugin file '" + tmp.str() +
                   "' for [slots.queue] is not a regular file");

    // With the check off, the same configs parse and keep the resolved paths.
    auto s = cfg::parse("[plugins]\ndirectory = \"/nonexistent-gz\"\n"
                        "[slots.queue]\nplugin = \"queue-memory\"\n"
                        "[[providers]]\nplugin = \"e\"\n",
                        "test.toml", unchecked());
    BOOST_TEST(s.slots.at(slot_kind::queue).file == "/nonexistent-gz/queue-memory.so");
    BOOST_TEST(s.providers.at(0).file == "/nonexistent-gz/e.so");

    // With the files there, the checked parse passes.
    tmp.write("queue-memory.so");
    tmp.write("e.so");
    s = cfg::parse(
        "[plugins]\ndirectory = \"" + tmp.str() +
            "\"\n[slots.queue]\nplugin = \"queue-memory\"\n[[providers]]\nplugin = \"e\"\n",
        "test.toml");
    BOOST_TEST(s.slots.at(slot_kind::queue).file == (tmp.path() / "queue-memory.so").string());
}

BOOST_AUTO_TEST_CASE(duplicate_provider) {
    BOOST_TEST(error_of("[[providers]]\nplugin = \"echo\"\n\n[[providers]]\nplugin = \"echo\"\n") ==
               "test.toml:5:10: provider 'echo' is listed twice (first at line 2)");
    BOOST_TEST(error_of("[[providers]]\nplugin = \"a\"\n[[providers]]\nplugin = \"b\"\n"
                        "[[providers]]\nconfig = {}\nplugin = \"a\"\n",
                        unchecked()) ==
               "test.toml:7:10: provider 'a' is listed twice (first at line 2)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_reload_plan)

BOOST_AUTO_TEST_CASE(unchanged_config_yields_an_empty_plan) {
    const char* text = "[server]\nport = 7000\ncors_origins = [\"*\"]\n"
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
    BOOST_TEST(!plan.session_settings_changed);
    BOOST_TEST(!plan.watch_changed);
    BOOST_TEST(!plan.drain_timeout_changed);
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
        {"[plugins]\ndirectory = \"/opt/gz\"",
         "plugins.directory: " + dir + " -> /opt/gz (needs a restart)"},
        {"[plugins]\ndropin = \"/opt/gz.d\"",
         "plugins.dropin: /etc/gleitzeit/plugins.d -> /opt/gz.d (needs a restart)"},
    };
    auto running = settings_of("");
    for (const auto& [text, line] : cases) {
        BOOST_TEST_CONTEXT(text) {
            auto plan = cfg::diff(running, settings_of(text));
            BOOST_TEST(plan.restart_needed == strings{line}, boost::test_tools::per_element());
            BOOST_TEST(plan.live.empty());
            BOOST_TEST(!plan.empty());
            BOOST_TEST(!plan.session_settings_changed);
            BOOST_TEST(actions(plan).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(live_changes) {
    struct flags {
        bool tokens, log, session, watch, drain;
        bool operator==(const flags&) const = default;
    };
    struct live_case {
        std::string text;
        std::string line;
        flags expected;
    };
    const std::vector<live_case> cases{
        {"[server]\ncors_origins = [\"*\", \"https://a.example\"]",
         "server.cors_origins: [] -> [\"*\", \"https://a.example\"] (applies to new sessions)",
         {false, false, true, false, false}},
        {"[server]\nping_interval = 1000",
         "server.ping_interval: 25000 -> 1000 (applies to new sessions)",
         {false, false, true, false, false}},
        {"[server]\nping_timeout = 2000",
         "server.ping_timeout: 20000 -> 2000 (applies to new sessions)",
         {false, false, true, false, false}},
        {"[server]\nconnect_timeout = 3000",
         "server.connect_timeout: 45000 -> 3000 (applies to new sessions)",
         {false, false, true, false, false}},
        {"[server]\nmax_payload = 4096",
         "server.max_payload: 1000000 -> 4096 (applies to new sessions)",
         {false, false, true, false, false}},
        {"[log]\nlevel = \"debug\"",
         "log.level: info -> debug",
         {false, true, false, false, false}},
        {"[[auth.tokens]]\ntoken = \"s3cret\"",
         "auth.tokens: changed",
         {true, false, false, false, false}},
        {"[plugins]\nwatch = false",
         "plugins.watch: true -> false",
         {false, false, false, true, false}},
        {"[plugins]\ndrain_timeout = 5000",
         "plugins.drain_timeout: 30000 -> 5000",
         {false, false, false, false, true}},
    };
    auto running = settings_of("");
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.text) {
            auto plan = cfg::diff(running, settings_of(c.text));
            BOOST_TEST(plan.live == strings{c.line}, boost::test_tools::per_element());
            BOOST_TEST(plan.restart_needed.empty());
            flags got{plan.tokens_changed, plan.log_level_changed, plan.session_settings_changed,
                      plan.watch_changed, plan.drain_timeout_changed};
            BOOST_TEST((got == c.expected));
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
