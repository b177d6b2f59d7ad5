#pragma once
// Which script files an `execute` call may run: only those inside the configured script_dirs.
// A path is made canonical first (every symlink and every ".." resolved), then compared with
// the canonical directories, so neither "../" nor a symlink leads out of them.

#include <filesystem>
#include <string>
#include <vector>

namespace gleitzeit::provider_python_detail {

/// The canonical path of `given` (absolute, or relative to each of `dirs` in turn, the first
/// that has it). Throws gleitzeit::error(invalid_argument) naming `param` ("params.file")
/// when no script_dirs are configured, when the file is not there, when it is not a regular
/// file, or when its real path is outside every one of `dirs`.
std::filesystem::path resolve_script(const std::vector<std::filesystem::path>& dirs,
                                     const std::string& given, const std::string& param);

} // namespace gleitzeit::provider_python_detail
