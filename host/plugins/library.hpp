#pragma once
// One plugin file, checked and mapped (docs/architecture.md, "The plugin ABI"). Loading refuses,
// with a message naming both sides, anything the host cannot trust: a file others may write, a file
// that is not ELF, a library without the descriptor, or a descriptor that does not match this host.
// The descriptor is read before any C++ object of the plugin exists. The library is mapped from a
// private copy with a unique name (the dynamic loader would hand back the image already mapped for
// a path it knows), with every symbol bound at load time.

#include <gleitzeit/export.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace gleitzeit::plugins {

/// Why a plugin file was refused; what() is the message for the log and the admin reply.
class load_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The descriptor, copied out of the library (so it outlives a failed load).
struct descriptor {
    std::uint32_t api_version = 0;
    slot_kind slot = slot_kind::provider;
    std::string name;
    std::string version;
    std::string build_tag;
};

class library {
public:
    /// Checks and maps `file`. `expected` is the slot the caller fills, if it has one.
    /// `private_dir` holds the private copies; it must exist. Throws load_error.
    static std::shared_ptr<library> load(const std::filesystem::path& file,
                                         const std::filesystem::path& private_dir,
                                         std::optional<slot_kind> expected);
    ~library();
    library(const library&) = delete;
    library& operator=(const library&) = delete;

    const descriptor& info() const noexcept { return info_; }
    /// The file the operator named.
    const std::filesystem::path& file() const noexcept { return file_; }
    /// The private copy that is mapped; /proc/self/maps shows it until the library is unloaded.
    const std::filesystem::path& mapped_path() const noexcept { return mapped_; }
    /// Creates an instance from the plugin's config table. Throws whatever the plugin throws.
    std::unique_ptr<plugin> create(const boost::json::object& config) const;

private:
    struct mapping;
    library() = default;

    descriptor info_;
    std::filesystem::path file_;
    std::filesystem::path mapped_;
    std::unique_ptr<mapping> mapping_;
    plugin_factory* factory_ = nullptr;
};

} // namespace gleitzeit::plugins
