// reload::load_sidecar: a drop-in's NAME.toml becomes the plugin's config, or is refused
// with file:line:column so that the drop-in is not loaded with a config it did not mean.
#include "reload/sidecar.hpp"
#include "toml/reader.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace fs = std::filesystem;

namespace {

/// A sidecar file in a fresh temporary folder, removed with it.
struct sidecar_file {
    explicit sidecar_file(const std::string& text) {
        dir = fs::temp_directory_path() / ("gleitzeit-sidecar-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        path = (dir / "provider-echo.toml").string();
        std::ofstream(path) << text;
    }
    ~sidecar_file() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    fs::path dir;
    std::string path;
};

std::string error_of(const std::string& text) {
    sidecar_file f(text);
    try {
        gleitzeit::reload::load_sidecar(f.path);
    } catch (const gleitzeit::toml_file::error& e) {
        return e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(reload_sidecar)

BOOST_AUTO_TEST_CASE(top_level_table_is_the_plugins_config) {
    sidecar_file f("greeting = \"hi\"\nrepeat = 2\n[limits]\nnames = [\"a\", \"b\"]\n");
    auto config = gleitzeit::reload::load_sidecar(f.path);
    BOOST_TEST(config.at("greeting").as_string() == "hi");
    BOOST_TEST(config.at("repeat").as_int64() == 2);
    BOOST_TEST(config.at("limits").at("names").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(syntax_error_names_file_line_and_column) {
    auto e = error_of("greeting = \"hi\"\nrepeat = \n");
    BOOST_TEST(e.find("provider-echo.toml:2:") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(value_json_cannot_hold_is_refused) {
    auto e = error_of("ratio = inf\n");
    BOOST_TEST(e.find("provider-echo.toml:1:") != std::string::npos, e);
    BOOST_TEST(e.find("'sidecar.ratio' must be a finite number") != std::string::npos, e);
}

BOOST_AUTO_TEST_SUITE_END()
