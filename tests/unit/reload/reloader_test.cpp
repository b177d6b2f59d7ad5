// What the reloader's running config answers for the rest of the daemon: whether a slot is
// filled by a remote component (components::serve_slots asks), and which provider comes back
// when a drop-in that replaced it goes (dropin asks). Nothing is loaded: the questions read
// the running config only.
#include "config/settings.hpp"
#include "plugins/plugin_host.hpp"
#include "reload/reloader.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

#include <unistd.h>

namespace cfg = gleitzeit::config;
using gleitzeit::slot_kind;

namespace {

cfg::settings running_config() {
    cfg::parse_options o;
    o.check_plugin_files = false;
    return cfg::parse(R"(
[plugins]
directory = "/opt/gleitzeit/plugins"
[slots.queue]
remote = true
[slots.persistence]
plugin = "persistence-sqlite"
[[providers]]
plugin = "provider-echo"
[providers.config]
greeting = "configured"
)",
                      "/etc/gleitzeit/gleitzeit.toml", o);
}

struct reloader_fixture {
    ~reloader_fixture() {
        std::error_code ec;
        std::filesystem::remove_all(copies, ec);
    }
    std::filesystem::path copies =
        std::filesystem::temp_directory_path() / ("gleitzeit-reloader-test-" + std::to_string(::getpid()));
    boost::asio::io_context ioc;
    gleitzeit::plugins::plugin_host plugins{ioc, {copies, {}, {}, {}}};
    std::shared_ptr<gleitzeit::reload::reloader> reload = std::make_shared<gleitzeit::reload::reloader>(
        "/etc/gleitzeit/gleitzeit.toml", cfg::parse_options{}, running_config(), plugins, nullptr);
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(reload_reloader, reloader_fixture)

BOOST_AUTO_TEST_CASE(slot_marked_remote_is_configured_remote) {
    BOOST_TEST(reload->configured_remote(slot_kind::queue));
}

BOOST_AUTO_TEST_CASE(slot_with_a_plugin_or_not_configured_is_not_remote) {
    BOOST_TEST(!reload->configured_remote(slot_kind::persistence));
    BOOST_TEST(!reload->configured_remote(slot_kind::resolver));
}

BOOST_AUTO_TEST_CASE(configured_provider_is_the_one_the_config_names) {
    auto p = reload->configured_provider("provider-echo");
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST(p->file == "/opt/gleitzeit/plugins/provider-echo.so");
    BOOST_TEST(p->config.at("greeting").as_string() == "configured");
}

BOOST_AUTO_TEST_CASE(provider_only_a_dropin_brought_has_no_configured_one) {
    BOOST_TEST(!reload->configured_provider("provider-shell").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
