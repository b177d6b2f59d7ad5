#pragma once
// provider-python's config table (the [providers.config] of a provider-python instance), read
// and checked once, in the constructor. Keys, defaults and ranges are in provider_python.hpp
// and docs/providers/python.md.

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace gleitzeit::provider_python_detail {

inline constexpr const char* plugin_name = "provider-python";
inline constexpr const char* protocol_id = "python/v1";

struct python_config {
    std::string python = "python3"; // the interpreter, looked up in PATH without a '/'
    std::size_t workers = 2;
    std::size_t max_queued = 64;     // calls waiting for a worker, beyond `workers`
    std::uint64_t cpu_seconds = 60;  // per call
    std::uint64_t memory_mb = 1024;  // RLIMIT_AS of each worker
    std::uint64_t open_files = 256;  // RLIMIT_NOFILE of each worker
    std::size_t max_output = 1u << 20; // bytes of stdout, and of stderr, kept per call
    std::filesystem::path working_directory; // canonical; default: the system temp directory
    std::vector<std::filesystem::path> script_dirs; // canonical, in config order
    std::vector<std::string> allowed_modules;
    /// Variables set for the workers, besides the few passed on from the hub's environment.
    std::vector<std::pair<std::string, std::string>> environment;
};

/// Reads the config. Throws gleitzeit::error(invalid_argument, "provider-python: <key> ...")
/// for an unknown key, a value of the wrong type or range, a directory that does not exist,
/// or an interpreter that is not there.
python_config read_config(const boost::json::object& config);

/// Whether `module` is one of `allowed` or inside one of them ("json.decoder" is inside
/// "json").
bool module_allowed(const std::vector<std::string>& allowed, const std::string& module);

} // namespace gleitzeit::provider_python_detail
