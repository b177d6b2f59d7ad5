#include "plugins/library.hpp"

#include <boost/dll/shared_library.hpp>

#include <atomic>
#include <elf.h>
#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace gleitzeit::plugins {

namespace fs = std::filesystem;

struct library::mapping {
    boost::dll::shared_library lib;
};

namespace {

[[noreturn]] void refuse(const fs::path& file, const std::string& why) {
    throw load_error("refusing plugin " + file.string() + ": " + why);
}

std::string octal_mode(mode_t m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
    return buf;
}

// Anyone who can write the file, or replace it in its directory, could run code in the
// hub: the file and its directory must be writable by their owner only, and that owner must
// be root or the hub's own user.
void check_owner_only(const fs::path& file, const fs::path& p, const char* what) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
        refuse(file, "cannot stat " + p.string() + ": " + std::strerror(errno));
    if (st.st_mode & S_IWOTH)
        refuse(file, std::string(what) + " is writable by other users (mode " +
                         octal_mode(st.st_mode) + ")");
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        refuse(file, std::string(what) + " belongs to uid " + std::to_string(st.st_uid) +
                         ", neither root nor this process's user");
}

void check_ownership(const fs::path& file) {
    check_owner_only(file, file, "the file");
    auto dir = file.parent_path();
    check_owner_only(file, dir.empty() ? fs::path(".") : dir, "its directory");
}

// The ELF header, and that every loadable segment and the section headers lie inside the
// file. A truncated library can still pass dlopen, and would then die of SIGBUS the first
// time code beyond the end of the file runs.
void check_elf(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) // not "not ELF": a file created unreadable (install(1) does so at first) is common
        refuse(file, std::string("cannot read it: ") + std::strerror(errno));
    Elf64_Ehdr eh{};
    if (!in.read(reinterpret_cast<char*>(&eh), 4) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        refuse(file, "not an ELF shared library");
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_type != ET_DYN)
        refuse(file, "not a 64-bit ELF shared library");
    std::error_code ec;
    auto size = static_cast<std::uint64_t>(fs::file_size(file, ec));
    auto incomplete = [&](const std::string& what, std::uint64_t end) {
        refuse(file, "the file is incomplete (still being written?): " + what + " ends at byte " +
                         std::to_string(end) + ", the file has " + std::to_string(size));
    };
    auto sh_end = eh.e_shoff + std::uint64_t(eh.e_shnum) * eh.e_shentsize;
    if (sh_end > size)
        incomplete("the section header table", sh_end);
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        in.seekg(static_cast<std::streamoff>(eh.e_phoff + std::uint64_t(i) * eh.e_phentsize));
        if (!in.read(reinterpret_cast<char*>(&ph), sizeof ph))
            incomplete("the program header table", eh.e_phoff + std::uint64_t(i + 1) * eh.e_phentsize);
        if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > size)
            incomplete("loadable segment " + std::to_string(i), ph.p_offset + ph.p_filesz);
    }
}

fs::path private_copy(const fs::path& file, const fs::path& dir) {
    static std::atomic<unsigned> counter{0};
    auto name = file.stem().string() + "." + std::to_string(::getpid()) + "." +
                std::to_string(counter.fetch_add(1)) + file.extension().string();
    auto copy = dir / name;
    std::error_code ec;
    fs::copy_file(file, copy, fs::copy_options::overwrite_existing, ec);
    if (ec)
        refuse(file, "cannot copy it to " + copy.string() + ": " + ec.message());
    fs::permissions(copy, fs::perms::owner_read | fs::perms::owner_exec, ec);
    return copy;
}

std::string quoted(const char* s) { return s ? "'" + std::string(s) + "'" : "(null)"; }

} // namespace

std::shared_ptr<library> library::load(const fs::path& file, const fs::path& private_dir,
                                       std::optional<slot_kind> expected) {
    std::error_code ec;
    if (!fs::exists(file, ec))
        refuse(file, "no such file");
    if (!fs::is_regular_file(file, ec))
        refuse(file, "not a regular file");
    check_ownership(file);
    check_elf(file);

    std::shared_ptr<library> lib(new library());
    lib->file_ = file;
    lib->mapped_ = private_copy(file, private_dir);
    lib->mapping_ = std::make_unique<mapping>();
    try {
        lib->mapping_->lib.load(lib->mapped_, boost::dll::load_mode::rtld_now |
                                                  boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        fs::remove(lib->mapped_, ec);
        refuse(file, std::string("the dynamic loader says: ") + e.what());
    }
    // The mapping keeps the copy's pages; the name goes now, so a crash leaves no litter.
    fs::remove(lib->mapped_, ec);

    auto& dl = lib->mapping_->lib;
    if (!dl.has(descriptor_symbol))
        refuse(file, "no gleitzeit_plugin_descriptor: not a Gleitzeit plugin (built without "
                     "GLEITZEIT_PLUGIN?)");
    const auto& d = dl.get<const gleitzeit_plugin_descriptor_v1>(descriptor_symbol);
    if (d.api_version != plugin_api_version)
        refuse(file, "plugin API version " + std::to_string(d.api_version) + " (plugin) != " +
                         std::to_string(plugin_api_version) + " (host)");
    if (!d.slot || !d.name || !d.version || !d.build_tag)
        refuse(file, "its descriptor has empty fields");
    if (std::string_view(d.build_tag) != GLEITZEIT_BUILD_TAG)
        refuse(file, "built with " + quoted(d.build_tag) + ", the host with '" +
                         GLEITZEIT_BUILD_TAG + "'");
    if (!slot_kind_from_string(d.slot, lib->info_.slot))
        refuse(file, "unknown slot kind " + quoted(d.slot));
    lib->info_.api_version = d.api_version;
    lib->info_.name = d.name;
    lib->info_.version = d.version;
    lib->info_.build_tag = d.build_tag;
    if (expected && *expected != lib->info_.slot)
        refuse(file, "'" + lib->info_.name + "' is a " + std::string(to_string(lib->info_.slot)) +
                         " plugin, but the " + std::string(to_string(*expected)) +
                         " slot needs a " + std::string(to_string(*expected)) + " plugin");
    if (!dl.has(factory_symbol))
        refuse(file, "no gleitzeit_plugin_factory");
    lib->factory_ = &dl.get_alias<plugin_factory>(factory_symbol);
    return lib;
}

library::~library() = default;

std::unique_ptr<plugin> library::create(const boost::json::object& config) const {
    return factory_(config);
}

} // namespace gleitzeit::plugins
