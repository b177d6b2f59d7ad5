#include "terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

namespace gleitzeit::cli {

bool stdout_is_terminal() {
    return ::isatty(STDOUT_FILENO) == 1;
}

std::size_t terminal_columns() {
    if (!stdout_is_terminal())
        return 0;
    winsize w{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) != 0 || w.ws_col == 0)
        return 80; // a terminal that does not say: assume the classic width
    return w.ws_col;
}

std::size_t display_width(std::string_view text) {
    std::size_t n = 0;
    for (unsigned char c : text)
        n += (c & 0xC0) != 0x80;
    return n;
}

std::string clip(std::string_view text, std::size_t columns) {
    if (columns == 0 || display_width(text) <= columns)
        return std::string(text);
    // Keep columns - 1 characters, never cutting a UTF-8 sequence, then the ellipsis.
    std::size_t kept = 0, i = 0;
    for (; i < text.size(); ++i) {
        bool starts = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
        if (starts && kept == columns - 1)
            break;
        kept += starts;
    }
    return std::string(text.substr(0, i)) + "\xE2\x80\xA6";
}

} // namespace gleitzeit::cli
