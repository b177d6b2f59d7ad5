#include "llm_files.hpp"

#include "gleitzeit/error.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gleitzeit::provider_llm_detail {

namespace {

/// Closes the descriptor on every way out of read_input_file.
struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0)
            ::close(fd);
    }
};

/// The path to open: canonical (symbolic links resolved) and, with a root, inside it.
std::string resolve(const std::string& path, const file_rules& rules,
                    const std::string& prefix) {
    namespace fs = std::filesystem;
    fs::path p(path);
    if (p.is_relative()) {
        if (rules.root.empty())
            throw error(error_code::invalid_argument,
                        prefix + " must be an absolute path (the config sets no file_root)");
        p = fs::path(rules.root) / p;
    }
    std::error_code ec;
    const fs::path canonical = fs::canonical(p, ec);
    if (ec)
        throw error(error_code::invalid_argument, prefix + " cannot be read: " + ec.message());
    const std::string text = canonical.string();
    if (!rules.root.empty() && rules.root != "/" &&
        (text.size() <= rules.root.size() || text.compare(0, rules.root.size(), rules.root) != 0 ||
         text[rules.root.size()] != '/'))
        throw error(error_code::invalid_argument,
                    prefix + " is outside file_root '" + rules.root + "'");
    return text;
}

} // namespace

std::string read_input_file(std::string_view method, std::string_view param,
                            const std::string& path, const file_rules& rules) {
    const std::string prefix =
        std::string(method) + ": params." + std::string(param) + " '" + path + "'";
    const std::string real = resolve(path, rules, prefix);
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat refuses it next.
    fd_guard f{::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
    if (f.fd < 0)
        throw error(error_code::invalid_argument,
                    prefix + " cannot be read: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode))
        throw error(error_code::invalid_argument, prefix + " is not a regular file");
    const auto too_big = [&](std::size_t n) {
        return error(error_code::invalid_argument,
                     prefix + " is " + std::to_string(n) + " bytes, over max_file_bytes (" +
                         std::to_string(rules.max_bytes) + ")");
    };
    if (static_cast<std::size_t>(st.st_size) > rules.max_bytes)
        throw too_big(static_cast<std::size_t>(st.st_size));
    std::string bytes;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(f.fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw error(error_code::invalid_argument,
                        prefix + " cannot be read: " + std::strerror(errno));
        if (n == 0)
            break;
        bytes.append(buffer, static_cast<std::size_t>(n));
        // A file that grows while it is read is still held to the limit.
        if (bytes.size() > rules.max_bytes)
            throw too_big(bytes.size());
    }
    return bytes;
}

std::string read_text_file(std::string_view method, const std::string& path,
                           const file_rules& rules) {
    std::string text = read_input_file(method, "file_path", path, rules);
    if (!is_utf8(text))
        throw error(error_code::invalid_argument, std::string(method) + ": params.file_path '" +
                                                      path + "' is not UTF-8 text");
    return text;
}

std::string file_name_of(const std::string& path) {
    return std::filesystem::path(path).filename().string();
}

bool is_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= s.size())
            return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        static constexpr std::uint32_t least[] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                                static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2)
            n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string image_media_type(std::string_view base64) {
    // The base64 of each format's magic bytes, which start on a 3-byte boundary.
    if (base64.rfind("iVBORw0KGgo", 0) == 0)
        return "image/png";
    if (base64.rfind("/9j/", 0) == 0)
        return "image/jpeg";
    if (base64.rfind("R0lGOD", 0) == 0)
        return "image/gif";
    if (base64.rfind("UklGR", 0) == 0)
        return "image/webp";
    if (base64.rfind("Qk", 0) == 0)
        return "image/bmp";
    return "image/png";
}

} // namespace gleitzeit::provider_llm_detail
