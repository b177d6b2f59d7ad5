// Files as call input on a real file system (a fresh directory under /tmp): what is read, and
// every refusal: missing, not regular (directory, FIFO, device), too large, outside
// file_root (also through a symbolic link), relative without a root, not UTF-8.

#include "llm_files.hpp"

#include "gleitzeit/error.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace gleitzeit::provider_llm_detail;

namespace {

struct temp_dir {
    temp_dir() {
        char pattern[] = "/tmp/provider-llm-files-XXXXXX";
        path = fs::canonical(::mkdtemp(pattern)).string();
    }
    ~temp_dir() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& bytes) const {
        const std::string p = path + "/" + name;
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
    std::string path;
};

std::string refusal(const std::string& path, const file_rules& rules) {
    try {
        read_text_file("generate", path, rules);
    } catch (const gleitzeit::error& e) {
        return std::string(gleitzeit::to_string(e.code())) + ": " + e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_llm_files)

BOOST_AUTO_TEST_CASE(a_regular_file_within_the_limits_is_read) {
    temp_dir d;
    const std::string p = d.write("notes.txt", "héllo\nworld\n");
    BOOST_TEST(read_text_file("chat", p, {100, ""}) == "héllo\nworld\n");
    BOOST_TEST(read_text_file("chat", "notes.txt", {100, d.path}) == "héllo\nworld\n");
    BOOST_TEST(file_name_of(p) == "notes.txt");
    // Exactly max_bytes is allowed.
    BOOST_TEST(read_input_file("vision", "image_path", d.write("img", std::string(10, '\0')), {10, ""}).size() == 10u);
}

BOOST_AUTO_TEST_CASE(every_refusal_names_the_param_the_path_and_why) {
    temp_dir d;
    temp_dir other;
    const std::string big = d.write("big.txt", std::string(101, 'a'));
    const std::string binary = d.write("bin.txt", "a\xff\xfe");
    const std::string outside = other.write("secret.txt", "s");
    fs::create_symlink(outside, d.path + "/link.txt");
    const std::string fifo = d.path + "/fifo";
    BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const file_rules any{100, ""};
    const file_rules rooted{100, d.path};
    const std::string pre = "invalid_argument: generate: params.file_path '";

    BOOST_TEST(refusal(d.path + "/none.txt", any) ==
               pre + d.path + "/none.txt' cannot be read: No such file or directory");
    BOOST_TEST(refusal(d.path, any) == pre + d.path + "' is not a regular file");
    BOOST_TEST(refusal(fifo, any) == pre + fifo + "' is not a regular file");
    BOOST_TEST(refusal("/dev/zero", any) == pre + "/dev/zero' is not a regular file");
    BOOST_TEST(refusal(big, any) == pre + big + "' is 101 bytes, over max_file_bytes (100)");
    BOOST_TEST(refusal(binary, any) == pre + binary + "' is not UTF-8 text");
    BOOST_TEST(refusal("notes.txt", any) ==
               pre + "notes.txt' must be an absolute path (the config sets no file_root)");
    BOOST_TEST(refusal(outside, rooted) == pre + outside + "' is outside file_root '" + d.path + "'");
    BOOST_TEST(refusal("link.txt", rooted) == pre + "link.txt' is outside file_root '" + d.path + "'");
    BOOST_TEST(refusal("../" + fs::path(other.path).filename().string() + "/secret.txt", rooted) ==
               pre + "../" + fs::path(other.path).filename().string() +
                   "/secret.txt' is outside file_root '" + d.path + "'");
    // A directory whose name starts like the root's is not inside it.
    const std::string sibling = d.path + "-x";
    fs::create_directory(sibling);
    std::ofstream(sibling + "/f.txt") << "x";
    BOOST_TEST(refusal(sibling + "/f.txt", rooted) ==
               pre + sibling + "/f.txt' is outside file_root '" + d.path + "'");
    fs::remove_all(sibling);
}

BOOST_AUTO_TEST_CASE(base64_and_media_types) {
    BOOST_TEST(base64_encode("") == "");
    BOOST_TEST(base64_encode("f") == "Zg==");
    BOOST_TEST(base64_encode("fo") == "Zm8=");
    BOOST_TEST(base64_encode("foo") == "Zm9v");
    BOOST_TEST(base64_encode("foob") == "Zm9vYg==");
    BOOST_TEST(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
    BOOST_TEST(image_media_type(base64_encode("\x89PNG\r\n\x1a\n....")) == "image/png");
    BOOST_TEST(image_media_type(base64_encode("\xff\xd8\xff\xe0")) == "image/jpeg");
    BOOST_TEST(image_media_type(base64_encode("GIF89a")) == "image/gif");
    BOOST_TEST(image_media_type(base64_encode("RIFF....WEBP")) == "image/webp");
    BOOST_TEST(image_media_type("AAAA") == "image/png");
}

BOOST_AUTO_TEST_CASE(utf8_is_checked_strictly) {
    BOOST_TEST(is_utf8("plain"));
    BOOST_TEST(is_utf8("é€𝄞"));
    BOOST_TEST(!is_utf8("\xc3"));             // cut short
    BOOST_TEST(!is_utf8("\xc0\xaf"));         // overlong
    BOOST_TEST(!is_utf8("\xed\xa0\x80"));     // a surrogate
    BOOST_TEST(!is_utf8("\xf4\x90\x80\x80")); // past U+10FFFF
}

BOOST_AUTO_TEST_SUITE_END()
