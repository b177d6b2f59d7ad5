#include "config/sidecar.hpp"

#include "config/plugin_sections.hpp"
#include "config/settings.hpp"

namespace gleitzeit::config {

boost::json::object load_sidecar(const std::string& path) {
    detail::toml_reader reader(path);
    toml::table table;
    try {
        table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        reader.fail(e.source(), std::string(e.description()));
    }
    return detail::table_to_json(reader, table, "sidecar");
}

} // namespace gleitzeit::config
