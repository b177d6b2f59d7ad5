// gleitzeit.toml loading and validation (host/config/settings.hpp). Every error must read
// "source:line:column: reason" with the position of the offending key or value, so that an
// operator can jump to it; these tests pin the exact text.

#include "config/settings.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace cfg = gleitzeit::config;

namespace {

/// The message of the config_error that parsing `text` throws, or "" when it parses.
std::string error_of(std::string_view text) {
    try {
        cfg::parse(text, "test.toml");
    } catch (const cfg::config_error& e) {
        return e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(full_config) {
    auto s = cfg::parse(R"(
[server]
bind = "0.0.0.0"
port = 7001
path = "/rt"
allowed_origins = ["https://a.example", "*"]
allowed_hosts = ["hub.example", "10.0.0.5"]
ping_interval = 1000
ping_timeout = 2000
connect_timeout = 3000
max_payload = 4096
max_connections = 12
threads = 3

[log]
level = "debug"

[[auth.tokens]]
token = "t1"
roles = ["submit", "admin"]

[auth]
revoke_grace = 5000

[[auth.tokens]]
token_sha256 = "C44474038D459E40E4714AFEFA7BF8DAE9F9834B22F5E8EC1DD434ECB62B512E"
)",
                        "full.toml");
    BOOST_TEST(s.server.bind == "0.0.0.0");
    BOOST_TEST(s.server.port == 7001);
    BOOST_TEST(s.server.path == "/rt/"); // a trailing '/' is added
    BOOST_TEST(s.server.allowed_origins == (std::vector<std::string>{"https://a.example", "*"}),
               boost::test_tools::per_element());
    BOOST_TEST(s.server.allowed_hosts == (std::vector<std::string>{"hub.example", "10.0.0.5"}),
               boost::test_tools::per_element());
    BOOST_TEST(s.server.ping_interval.count() == 1000);
    BOOST_TEST(s.server.ping_timeout.count() == 2000);
    BOOST_TEST(s.server.connect_timeout.count() == 3000);
    BOOST_TEST(s.server.max_payload == 4096u);
    BOOST_TEST(s.server.max_connections == 12u);
    BOOST_TEST(s.server.threads == 3u);
    BOOST_TEST(s.log.level == "debug");
    BOOST_REQUIRE_EQUAL(s.tokens.size(), 2u);
    // Kept as SHA-256 digests only, in lowercase hex, whichever way the file gives them.
    BOOST_TEST(s.tokens[0].sha256 ==
               "628b49d96dcde97a430dd4f597705899e09a968f793491e4b704cae33a40dc02");
    BOOST_TEST(s.tokens[0].roles == (std::vector<std::string>{"submit", "admin"}),
               boost::test_tools::per_element());
    BOOST_TEST(s.tokens[1].sha256 ==
               "c44474038d459e40e4714afefa7bf8dae9f9834b22f5e8ec1dd434ecb62b512e");
    BOOST_TEST(s.revoke_grace.count() == 5000);
    BOOST_TEST(s.tokens[1].roles.empty());
}

BOOST_AUTO_TEST_CASE(empty_config_gives_defaults) {
    auto s = cfg::parse("", "empty.toml");
    BOOST_TEST(s.server.bind == "127.0.0.1");
    BOOST_TEST(s.server.port == 6680);
    BOOST_TEST(s.server.path == "/socket.io/");
    BOOST_TEST(s.server.allowed_origins.empty());
    BOOST_TEST(s.server.allowed_hosts.empty());
    BOOST_TEST(s.revoke_grace.count() == 0);
    BOOST_TEST(s.server.ping_interval.count() == 25000);
    BOOST_TEST(s.server.ping_timeout.count() == 20000);
    BOOST_TEST(s.server.connect_timeout.count() == 45000);
    BOOST_TEST(s.server.max_payload == 1000000u);
    BOOST_TEST(s.server.max_connections == 10000u);
    BOOST_TEST(s.server.threads == 0u);
    BOOST_TEST(s.log.level == "info");
    BOOST_TEST(s.tokens.empty());
}

BOOST_AUTO_TEST_CASE(unknown_key_suggests_the_near_one) {
    BOOST_TEST(error_of("[server]\nprot = 1\n") ==
               "test.toml:2:1: unknown key 'prot' in [server] (did you mean 'port'?)");
    BOOST_TEST(error_of("[server]\nbind = \"::\"\n  pirt = 80\n") ==
               "test.toml:3:3: unknown key 'pirt' in [server] (did you mean 'port'?)");
    // Nothing near: no suggestion.
    BOOST_TEST(error_of("[server]\ncolour = \"red\"\n") ==
               "test.toml:2:1: unknown key 'colour' in [server]");
    BOOST_TEST(error_of("[logging]\nlevel = \"info\"\n") ==
               "test.toml:1:2: unknown key 'logging' in the top level");
    BOOST_TEST(error_of("[log]\nlevle = \"info\"\n") ==
               "test.toml:2:1: unknown key 'levle' in [log] (did you mean 'level'?)");
    BOOST_TEST(error_of("[[auth.tokens]]\ntoken = \"x\"\nrole = []\n") ==
               "test.toml:3:1: unknown key 'role' in [[auth.tokens]] (did you mean 'roles'?)");
}

BOOST_AUTO_TEST_CASE(unknown_role_is_refused_where_it_stands) {
    BOOST_TEST(error_of("[[auth.tokens]]\ntoken = \"x\"\nroles = [\"submit\", \"obsrve\"]\n") ==
               "test.toml:3:20: unknown role 'obsrve' (did you mean 'observe'?); roles are "
               "submit, observe, provider, component and admin");
}

// The name allowed_origins had while it covered long-polling only still reads.
BOOST_AUTO_TEST_CASE(cors_origins_is_the_old_name_of_allowed_origins) {
    auto s = cfg::parse("[server]\ncors_origins = [\"https://a.example\"]\n", "old.toml");
    BOOST_TEST(s.server.allowed_origins == (std::vector<std::string>{"https://a.example"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_token_is_given_once_in_clear_or_as_its_digest) {
    BOOST_TEST(error_of("[[auth.tokens]]\ntoken_sha256 = \"abc\"\n") ==
               "test.toml:2:16: 'token_sha256' must be 64 hex digits, as `gleitzeitd "
               "--hash-token` prints them");
    BOOST_TEST(error_of("[[auth.tokens]]\ntoken = \"x\"\ntoken_sha256 = \"" + std::string(64, 'a') +
                        "\"\n") == "test.toml:3:16: give 'token' or 'token_sha256', not both");
    BOOST_TEST(error_of("[auth]\nrevoke_grace = -1\n") ==
               "test.toml:2:16: 'revoke_grace' must be between 0 and 86400000");
}

BOOST_AUTO_TEST_CASE(wrong_type) {
    BOOST_TEST(error_of("[server]\nport = \"80\"\n") == "test.toml:2:8: 'port' must be an integer");
    BOOST_TEST(error_of("[server]\nbind = 127\n") == "test.toml:2:8: 'bind' must be a string");
    BOOST_TEST(error_of("[server]\nallowed_origins = \"*\"\n") ==
               "test.toml:2:19: 'allowed_origins' must be an array of strings");
    BOOST_TEST(error_of("[server]\nallowed_hosts = [\"a\", 1]\n") ==
               "test.toml:2:23: 'allowed_hosts[]' must be a string");
    BOOST_TEST(error_of("server = 1\n") == "test.toml:1:10: 'server' must be a table");
    BOOST_TEST(error_of("[server]\nping_interval = 1.5\n") ==
               "test.toml:2:17: 'ping_interval' must be an integer");
    BOOST_TEST(error_of("[log]\nlevel = 1\n") == "test.toml:2:9: 'level' must be a string");
}

BOOST_AUTO_TEST_CASE(out_of_range) {
    BOOST_TEST(error_of("[server]\nport = 65536\n") ==
               "test.toml:2:8: 'port' must be between 0 and 65535");
    BOOST_TEST(error_of("[server]\nport = -1\n") ==
               "test.toml:2:8: 'port' must be between 0 and 65535");
    BOOST_TEST(error_of("[server]\nport = 0\n").empty());
    BOOST_TEST(error_of("[server]\nport = 65535\n").empty());
    BOOST_TEST(error_of("[server]\nping_timeout = 0\n") ==
               "test.toml:2:16: 'ping_timeout' must be between 1 and 3600000");
    BOOST_TEST(error_of("[server]\nthreads = 257\n") ==
               "test.toml:2:11: 'threads' must be between 0 and 256");
    BOOST_TEST(error_of("[server]\nmax_payload = 1023\n") ==
               "test.toml:2:15: 'max_payload' must be between 1024 and 1073741824");
    BOOST_TEST(error_of("[server]\npath = \"rt\"\n") ==
               "test.toml:2:8: 'path' must start with '/'");
}

BOOST_AUTO_TEST_CASE(invalid_toml_syntax) {
    // The reason is toml++'s; the position is where the parser stopped.
    auto e = error_of("[server]\nport = \n");
    BOOST_TEST(e.rfind("test.toml:2:", 0) == 0u, e);
    BOOST_TEST(e.find(": ", std::string("test.toml:2:").size()) != std::string::npos, e);
    BOOST_TEST(error_of("[server\nport = 1\n").rfind("test.toml:1:", 0) == 0u,
               error_of("[server\nport = 1\n"));
    e = error_of("[server]\nport = 1\nport = 2\n"); // a key defined twice
    BOOST_TEST(e.rfind("test.toml:3:", 0) == 0u, e);
}

BOOST_AUTO_TEST_CASE(bad_log_level) {
    BOOST_TEST(error_of("[log]\nlevel = \"verbose\"\n") ==
               "test.toml:2:9: 'level' must be one of debug, info, warn, error");
    BOOST_TEST(error_of("[log]\nlevel = \"INFO\"\n") ==
               "test.toml:2:9: 'level' must be one of debug, info, warn, error");
    for (const char* level : {"debug", "info", "warn", "error"})
        BOOST_TEST(cfg::parse(std::string("[log]\nlevel = \"") + level + "\"\n", "t").log.level ==
                   level);
}

BOOST_AUTO_TEST_CASE(token_without_token) {
    BOOST_TEST(error_of("[[auth.tokens]]\nroles = [\"submit\"]\n") ==
               "test.toml:1:1: [[auth.tokens]] needs 'token' or 'token_sha256'");
    BOOST_TEST(error_of("[[auth.tokens]]\ntoken = \"a\"\n\n[[auth.tokens]]\ntoken = \"\"\n") ==
               "test.toml:5:9: 'token' must not be empty");
    BOOST_TEST(error_of("[auth]\ntokens = \"abc\"\n") ==
               "test.toml:2:10: 'auth.tokens' must be an array of tables ([[auth.tokens]])");
}

BOOST_AUTO_TEST_CASE(load_missing_file) {
    const std::string path = "/nonexistent/gleitzeit-unit-test.toml";
    try {
        cfg::load(path);
        BOOST_FAIL("load() of a missing file did not throw");
    } catch (const cfg::config_error& e) {
        BOOST_TEST(std::string(e.what()) == path + ":1:1: cannot open the config file");
    }
}

BOOST_AUTO_TEST_CASE(load_reports_the_path) {
    auto path = std::filesystem::temp_directory_path() / "gleitzeit-unit-test-bad.toml";
    {
        std::ofstream out(path);
        out << "[server]\nport = 99999\n";
    }
    std::string what;
    try {
        cfg::load(path.string());
    } catch (const cfg::config_error& e) {
        what = e.what();
    }
    std::filesystem::remove(path);
    BOOST_TEST(what == path.string() + ":2:8: 'port' must be between 0 and 65535");
}

BOOST_AUTO_TEST_CASE(shipped_default_config_parses) {
    // The plugin files are where the package installs them, not on a build machine; the
    // package test (tests/package) starts the hub on this file for real.
    cfg::parse_options on_a_build_machine;
    on_a_build_machine.check_plugin_files = false;
    auto s = cfg::load(GLEITZEIT_SOURCE_DIR "/config/gleitzeit.toml", on_a_build_machine);
    BOOST_TEST(s.server.bind == "127.0.0.1");
    BOOST_TEST(s.server.port == 6680);
    BOOST_TEST(s.server.path == "/socket.io/");
    BOOST_TEST(s.log.level == "info");
    BOOST_TEST(s.tokens.empty()); // the token example is commented out
    // The package's hub runs the default plugins from the plugin directory, and echo/v1 for
    // examples/hello.toml.
    const std::string dir = GLEITZEIT_PLUGINS_DIRECTORY;
    BOOST_TEST(s.plugins.dropin == "/etc/gleitzeit/plugins.d");
    BOOST_TEST(s.slots.size() == 4u);
    for (auto [kind, plugin] : {std::pair{gleitzeit::slot_kind::queue, "queue-memory"},
                                {gleitzeit::slot_kind::resolver, "resolver-dag"},
                                {gleitzeit::slot_kind::registry, "registry-default"},
                                {gleitzeit::slot_kind::persistence, "persistence-sqlite"}}) {
        BOOST_TEST_REQUIRE(s.slots.count(kind) == 1u);
        BOOST_TEST(s.slots.at(kind).plugin == plugin);
        BOOST_TEST(s.slots.at(kind).file == dir + "/" + plugin + ".so");
        BOOST_TEST(!s.slots.at(kind).remote);
    }
    BOOST_TEST_REQUIRE(s.providers.size() == 1u);
    BOOST_TEST(s.providers[0].plugin == "provider-echo");
    BOOST_TEST(s.providers[0].file == dir + "/provider-echo.so");
}

BOOST_AUTO_TEST_SUITE_END()
