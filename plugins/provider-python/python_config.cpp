#include "python_config.hpp"

#include "gleitzeit/error.hpp"
#include "json_reading.hpp"

#include <boost/json/value.hpp>

#include <cstdlib>
#include <regex>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace gleitzeit::provider_python_detail {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void refuse(const std::string& message) {
    throw error(error_code::invalid_argument, std::string(plugin_name) + ": " + message);
}


std::uint64_t read_integer(const json::value& v, std::string_view key, std::uint64_t lo,
                           std::uint64_t hi) {
    if (auto n = json_reading::integer_in(v, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi)))
        return static_cast<std::uint64_t>(*n);
    refuse(std::string(key) + " " +
           json_reading::integer_refusal(v, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi)));
}

std::string read_string(const json::value& v, std::string_view key) {
    if (!v.is_string() || v.get_string().empty())
        refuse(std::string(key) + " must be a non-empty string, got " +
               (v.is_string() ? std::string("an empty string") : json_reading::kind_of(v)));
    return std::string(v.get_string());
}

std::vector<std::string> read_strings(const json::value& v, std::string_view key) {
    if (!v.is_array())
        refuse(std::string(key) + " must be an array of strings, got " + json_reading::kind_of(v));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.get_array().size(); ++i)
        out.push_back(read_string(v.get_array()[i], std::string(key) + "[" + std::to_string(i) + "]"));
    return out;
}

// Canonical, so that the script check compares real paths (script_paths.hpp).
fs::path read_directory(const json::value& v, std::string_view key) {
    std::string given = read_string(v, key);
    std::error_code ec;
    fs::path dir = fs::canonical(given, ec);
    if (ec || !fs::is_directory(dir, ec))
        refuse(std::string(key) + " '" + given + "' is not a directory");
    return dir;
}

bool executable_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// Checked here, so that a misspelt interpreter refuses the load with its name instead of
// every call failing later.
void check_interpreter(const std::string& python) {
    if (python.find('/') != std::string::npos) {
        if (!executable_file(python))
            refuse("python '" + python + "' is not an executable file");
        return;
    }
    const char* env = std::getenv("PATH");
    std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
    std::size_t begin = 0;
    while (begin <= path.size()) {
        std::size_t end = std::min(path.find(':', begin), path.size());
        std::string dir = path.substr(begin, end - begin);
        if (executable_file(fs::path(dir.empty() ? "." : dir) / python))
            return;
        begin = end + 1;
    }
    refuse("python '" + python + "' is not found in PATH");
}

void check_module_name(const std::string& name, const std::string& key) {
    static const std::regex dotted("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$");
    if (!std::regex_match(name, dotted))
        refuse(key + " '" + name + "' is not a module name");
}

std::vector<std::pair<std::string, std::string>> read_environment(const json::value& v) {
    if (!v.is_object())
        refuse("environment must be a table of strings, got " + json_reading::kind_of(v));
    static const std::regex name("^[A-Za-z_][A-Za-z0-9_]*$");
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& kv : v.get_object()) {
        std::string key(kv.key());
        if (!std::regex_match(key, name))
            refuse("environment: '" + key + "' is not a variable name");
        if (!kv.value().is_string())
            refuse("environment." + key + " must be a string, got " + json_reading::kind_of(kv.value()));
        out.emplace_back(key, std::string(kv.value().get_string()));
    }
    return out;
}

} // namespace

python_config read_config(const json::object& config) {
    python_config c;
    bool directory_given = false;
    for (const auto& kv : config) {
        const std::string key(kv.key());
        const json::value& v = kv.value();
        if (key == "python")
            c.python = read_string(v, key);
        else if (key == "workers")
            c.workers = read_integer(v, key, 1, 64);
        else if (key == "max_queued")
            c.max_queued = read_integer(v, key, 0, 10000);
        else if (key == "cpu_seconds")
            c.cpu_seconds = read_integer(v, key, 1, 86400);
        else if (key == "memory_mb")
            c.memory_mb = read_integer(v, key, 64, 1u << 20);
        else if (key == "open_files")
            c.open_files = read_integer(v, key, 16, 65536);
        else if (key == "max_output")
            c.max_output = read_integer(v, key, 0, 64u << 20);
        else if (key == "working_directory") {
            c.working_directory = read_directory(v, key);
            directory_given = true;
        } else if (key == "script_dirs") {
            if (!v.is_array())
                refuse("script_dirs must be an array of strings, got " + json_reading::kind_of(v));
            for (std::size_t i = 0; i < v.get_array().size(); ++i)
                c.script_dirs.push_back(read_directory(v.get_array()[i],
                                                       "script_dirs[" + std::to_string(i) + "]"));
        } else if (key == "allowed_modules") {
            c.allowed_modules = read_strings(v, key);
            for (std::size_t i = 0; i < c.allowed_modules.size(); ++i)
                check_module_name(c.allowed_modules[i], "allowed_modules[" + std::to_string(i) + "]");
        } else if (key == "environment") {
            c.environment = read_environment(v);
        } else {
            refuse("unknown config key '" + key + "'");
        }
    }
    check_interpreter(c.python);
    if (!directory_given)
        c.working_directory = fs::canonical(fs::temp_directory_path());
    return c;
}

bool module_allowed(const std::vector<std::string>& allowed, const std::string& module) {
    for (const std::string& a : allowed)
        if (module == a || (module.size() > a.size() && module.compare(0, a.size(), a) == 0 &&
                            module[a.size()] == '.'))
            return true;
    return false;
}

} // namespace gleitzeit::provider_python_detail
