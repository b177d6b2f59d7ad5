#pragma once
// What the output looks like depends on where it goes: redraws and clipped lines on a
// terminal, whole plain lines into a pipe or a file.

#include <cstddef>
#include <string>
#include <string_view>

namespace gleitzeit::cli {

bool stdout_is_terminal();
/// The terminal's width in columns, or 0 when standard output is not a terminal.
std::size_t terminal_columns();
/// How many columns `text` takes: UTF-8 continuation bytes take none.
std::size_t display_width(std::string_view text);
/// `text` cut to `columns` (0: unlimited), with "…" where it was cut.
std::string clip(std::string_view text, std::size_t columns);

} // namespace gleitzeit::cli
