#pragma once
// Bash completion for `gleitzeit`, generated from the command line's own definition, so that
// it never lists a command or an option the binary does not have (docs/cli.md, "Completion").

#include <CLI/CLI.hpp>

#include <string>

namespace gleitzeit::cli {

/// A bash script defining _gleitzeit and `complete -F _gleitzeit gleitzeit`.
std::string bash_completion(const CLI::App& app);

} // namespace gleitzeit::cli
