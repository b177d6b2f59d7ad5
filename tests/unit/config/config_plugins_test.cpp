// The plugin half of gleitzeit.toml ([state], [plugins], [slots.<slot>], [[providers]]) and
// config::diff, the plan a reload applies. Errors are pinned to the exact
// "source:line:column: reason" an operator sees.

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

} // namespace

BOOST_AUTO_TEST_SUITE(config_plugins)

BOOST_AUTO_TEST_CASE(defaults) {
    auto s = cfg::parse("", "empty.toml");
    BOOST_TEST(s.state.directory == "/var/lib/gleitzeit");
    BOOST_TEST(s.state.keep_finished == 1000u);
    BOOST_TEST(s.state.keep_finished_tasks == 20000u);
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
keep_finished = 25
keep_finished_tasks = 5000

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
    BOOST_TEST(s.state.keep_finished == 25u);
    BOOST_TEST(s.state.keep_finished_tasks == 5000u);
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
    BOOST_TEST(error_of("[state]\nkeep_finished = -1\n") ==
               "test.toml:2:17: 'keep_finished' must be between 0 and 10000000");
    BOOST_TEST(error_of("[state]\nkeep_finished_tasks = 1e3\n") ==
               "test.toml:2:23: 'keep_finished_tasks' must be an integer");
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
    // A NUL would cut the path short where the system reads it (issue 18).
    BOOST_TEST(error_of("[slots.queue]\nplugin = \"q\"\nfile = \"/x/q.so\\u0000.txt\"\n") ==
               "test.toml:3:8: 'file' holds a control character (U+0000)");
    BOOST_TEST(error_of("[state]\ndirectory = \"/var/lib/g\\nx\"\n") ==
               "test.toml:2:13: 'directory' holds a control character (U+000A)");
    BOOST_TEST(error_of("[plugins]\ndropin = \"/etc/g\\u001b[2J\"\n") ==
               "test.toml:2:10: 'dropin' holds a control character (U+001B)");
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
               "test.toml:5:10: provider 'echo' is listed twice (first at line 2); give each "
               "instance of a plugin its own 'name'");
    BOOST_TEST(error_of("[[providers]]\nplugin = \"a\"\n[[providers]]\nplugin = \"b\"\n"
                        "[[providers]]\nconfig = {}\nplugin = \"a\"\n",
                        unchecked()) ==
               "test.toml:7:10: provider 'a' is listed twice (first at line 2); give each "
               "instance of a plugin its own 'name'");
}

BOOST_AUTO_TEST_CASE(provider_instances) {
    auto s = cfg::parse("[[providers]]\nplugin = \"llm\"\nname = \"llm-a\"\n"
                        "[[providers]]\nplugin = \"llm\"\nname = \"llm-b\"\n"
                        "[[providers]]\nplugin = \"echo\"\n",
                        "test.toml", unchecked());
    BOOST_REQUIRE_EQUAL(s.providers.size(), 3u);
    BOOST_TEST(s.providers[0].name == "llm-a");
    BOOST_TEST(s.providers[1].name == "llm-b");
    BOOST_TEST(s.providers[1].plugin == "llm");
    BOOST_TEST(s.providers[0].file == s.providers[1].file);
    BOOST_TEST(s.providers[2].name == "echo"); // the plugin's name when none is given
    BOOST_TEST(error_of("[[providers]]\nplugin = \"llm\"\nname = \"a\"\n"
                        "[[providers]]\nplugin = \"llm\"\nname = \"a\"\n",
                        unchecked()) ==
               "test.toml:6:8: provider 'a' is listed twice (first at line 2); give each "
               "instance of a plugin its own 'name'");
    // An unnamed instance takes the plugin's name, which a named one may not take too.
    BOOST_TEST(error_of("[[providers]]\nplugin = \"llm\"\n"
                        "[[providers]]\nplugin = \"x\"\nname = \"llm\"\n",
                        unchecked()) ==
               "test.toml:5:8: provider 'llm' is listed twice (first at line 2); give each "
               "instance of a plugin its own 'name'");
    BOOST_TEST(error_of("[[providers]]\nplugin = \"llm\"\nname = \"a b\"\n", unchecked()) ==
               "test.toml:3:8: 'name' must be a provider name (letters, digits, '-', '_', '.')");
}

BOOST_AUTO_TEST_SUITE_END()
