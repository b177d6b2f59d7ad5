// The main() of a fuzz target in the normal build: it feeds every file of the directories
// (or the files) on its command line to LLVMFuzzerTestOneInput once, in name order, and does
// no fuzzing. ctest runs it over the seed corpus and the regressions, so that every build
// checks the targets' invariants on known inputs in a second or two; `make fuzz` links the
// same targets with libFuzzer instead (tests/fuzz/CMakeLists.txt).
//
// A target reports a finding by aborting. The signal handler names the input that did it and
// exits 1, so that ctest sees a plain failure (which WILL_FAIL inverts for fuzz.<name>.open.*).

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional in a target, as in libFuzzer.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// The input being replayed, for the signal handler, which may only write(2) what is ready.
char current[4096] = "(before the first input)";

void say(const char* text) {
    auto ignored = write(STDERR_FILENO, text, std::strlen(text));
    (void)ignored;
}

extern "C" void on_fatal_signal(int sig) {
    say("fuzz replay: the target failed on input ");
    say(current);
    say(sig == SIGABRT ? " (abort: an invariant or an unexpected exception, see above)\n"
                       : " (a fatal signal)\n");
    _exit(1);
}

std::vector<fs::path> inputs_of(const char* arg) {
    std::vector<fs::path> out;
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
        // Not recursive: regressions/<target>/open/ holds the findings not fixed yet, which
        // the tests fuzz.<target>.open.<input> replay one by one.
        for (const auto& e : fs::directory_iterator(arg))
            if (e.is_regular_file())
                out.push_back(e.path());
        std::sort(out.begin(), out.end());
    } else if (fs::is_regular_file(arg, ec)) {
        out.emplace_back(arg);
    } else {
        std::fprintf(stderr, "fuzz replay: %s does not exist, skipped\n", arg);
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL})
        std::signal(sig, on_fatal_signal);
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    std::size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        if (argv[i][0] == '-')
            continue; // a libFuzzer flag, meaningless here
        for (const auto& path : inputs_of(argv[i])) {
            std::ifstream in(path, std::ios::binary);
            std::string bytes{std::istreambuf_iterator<char>(in), {}};
            std::snprintf(current, sizeof current, "%s", path.c_str());
            // A buffer of exactly the input's size, as libFuzzer gives: in the sanitizer
            // build a read past the end is then caught here too.
            std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
            LLVMFuzzerTestOneInput(exact.data(), exact.size());
            ++replayed;
        }
    }
    // A test that replays nothing proves nothing: a moved corpus must not pass silently.
    if (replayed == 0) {
        std::fprintf(stderr, "fuzz replay: no input found\n");
        return 1;
    }
    std::printf("fuzz replay: %zu inputs, no finding\n", replayed);
    return 0;
}
