#pragma once
// A drop-in plugin's sidecar NAME.toml: the plugin's config table, in the file's top level.

#include <boost/json/object.hpp>

#include <string>

namespace gleitzeit::reload {

/// Reads the sidecar at `path` as the plugin's config. Throws toml_file::error
/// ("file:line:column: reason").
boost::json::object load_sidecar(const std::string& path);

} // namespace gleitzeit::reload
