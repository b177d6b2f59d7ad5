#include "reload/sidecar.hpp"

#include "toml/reader.hpp"

namespace gleitzeit::reload {

boost::json::object load_sidecar(const std::string& path) {
    toml_file::reader reader(path);
    toml::table table;
    try {
        table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        reader.fail(e.source(), std::string(e.description()));
    }
    return toml_file::table_to_json(reader, table, "sidecar");
}

} // namespace gleitzeit::reload
