#pragma once
// Files as input of a call: file_path (a text file added to the prompt) and image_path (an
// image sent base64-encoded). The hub reads them with its own rights, on behalf of whoever
// submitted the workflow, so the reads are bounded: regular files only (not a FIFO that
// blocks, nor /dev/zero that never ends), at most max_file_bytes, and under file_root when
// the config sets one (after symbolic links are resolved).
//
// These functions block on the file system: the provider runs them on the host's blocking
// pool, never on the hub's event loop.

#include <cstddef>
#include <string>
#include <string_view>

namespace gleitzeit::provider_llm_detail {

struct file_rules {
    std::size_t max_bytes = 0;
    std::string root; // canonical directory, or "" for any absolute path
};

/// The bytes of the file `path` names, as params.<param> of <method> gave it. Throws
/// gleitzeit::error(invalid_argument, "<method>: params.<param> '<path>' <why>").
std::string read_input_file(std::string_view method, std::string_view param,
                            const std::string& path, const file_rules& rules);

/// read_input_file, then refused unless the bytes are UTF-8 text.
std::string read_text_file(std::string_view method, const std::string& path,
                           const file_rules& rules);

/// The name a prompt shows for `path`: its last component.
std::string file_name_of(const std::string& path);

bool is_utf8(std::string_view bytes) noexcept;

std::string base64_encode(std::string_view bytes);

/// The media type of a base64 image from its first bytes (PNG, JPEG, GIF, WebP, BMP);
/// "image/png" when it is none of those, which servers take as "some image".
std::string image_media_type(std::string_view base64);

} // namespace gleitzeit::provider_llm_detail
