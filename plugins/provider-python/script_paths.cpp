#include "script_paths.hpp"

#include "gleitzeit/error.hpp"

#include <system_error>

namespace gleitzeit::provider_python_detail {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void refuse(const std::string& message) {
    throw error(error_code::invalid_argument, "execute: " + message);
}

bool inside(const fs::path& file, const fs::path& dir) {
    // Component by component: "/srv/scripts-old/x.py" is not inside "/srv/scripts".
    auto f = file.begin();
    for (auto d = dir.begin(); d != dir.end(); ++d, ++f)
        if (f == file.end() || *f != *d)
            return false;
    return f != file.end();
}

} // namespace

fs::path resolve_script(const std::vector<fs::path>& dirs, const std::string& given,
                        const std::string& param) {
    if (dirs.empty())
        refuse(param + ": no script_dirs are configured, so no script file may run");
    std::vector<fs::path> candidates;
    if (fs::path(given).is_absolute())
        candidates.emplace_back(given);
    else
        for (const fs::path& d : dirs)
            candidates.push_back(d / given);
    for (const fs::path& candidate : candidates) {
        std::error_code ec;
        fs::path real = fs::canonical(candidate, ec);
        if (ec)
            continue;
        bool allowed = false;
        for (const fs::path& d : dirs)
            allowed = allowed || inside(real, d);
        if (!allowed)
            refuse(param + " '" + given + "' is outside script_dirs");
        if (!fs::is_regular_file(real, ec))
            refuse(param + " '" + given + "' is not a regular file");
        return real;
    }
    refuse(param + " '" + given + "' does not exist in script_dirs");
}

} // namespace gleitzeit::provider_python_detail
