// Session ids and other secrets (host/sio/protocol/random_id.hpp): unique, every bit fair,
// and drawn from the kernel, not from a generator whose state lives in this process.

#include "sio/protocol/random_id.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sio = gleitzeit::sio;

namespace {
constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::vector<std::string> ids(std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(sio::random_id());
    return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(random_id)

BOOST_AUTO_TEST_CASE(ten_thousand_ids_are_url_safe_and_distinct) {
    auto all = ids(10'000);
    for (const auto& id : all) {
        BOOST_TEST_REQUIRE(id.size() == 20u);
        BOOST_TEST_REQUIRE(id.find_first_not_of(alphabet) == std::string::npos, id);
    }
    BOOST_TEST(std::set<std::string>(all.begin(), all.end()).size() == all.size());
}

// 120 bits per id, each one as often set as not: over 10,000 ids a fair bit is set in 50%
// ± 0.5% (one standard deviation), so 47..53% fails a fair generator about once in 10^8
// runs, and any stuck, constant or biased bit at once.
BOOST_AUTO_TEST_CASE(every_one_of_the_120_bits_is_fair) {
    std::array<int, 120> set{};
    const std::size_t n = 10'000;
    for (const auto& id : ids(n))
        for (std::size_t c = 0; c < id.size(); ++c) {
            auto v = alphabet.find(id[c]);
            for (int b = 0; b < 6; ++b)
                set[c * 6 + b] += (v >> b) & 1;
        }
    for (std::size_t bit = 0; bit < set.size(); ++bit) {
        double share = double(set[bit]) / n;
        BOOST_TEST((share > 0.47 && share < 0.53), "bit " << bit << " set in " << share);
    }
}

BOOST_AUTO_TEST_CASE(characters_carry_six_bits_each) {
    std::map<char, double> counts;
    for (const auto& id : ids(10'000))
        for (char c : id)
            ++counts[c];
    double total = 200'000, entropy = 0;
    for (const auto& [c, k] : counts)
        entropy -= k / total * std::log2(k / total);
    BOOST_TEST(counts.size() == 64u);
    BOOST_TEST(entropy > 5.99, "Shannon entropy " << entropy << " bits per character");
}

// A generator that lives in the process (a seeded std::mt19937, say) is copied by fork():
// parent and child would then hand out the same next id. The kernel's is not.
BOOST_AUTO_TEST_CASE(a_forked_process_draws_other_ids_than_its_parent) {
    (void)sio::random_id(); // whatever a generator seeds lazily is seeded before the fork
    int fds[2];
    BOOST_TEST_REQUIRE(::pipe(fds) == 0);
    pid_t child = ::fork();
    BOOST_TEST_REQUIRE(child >= 0);
    if (child == 0) {
        auto id = sio::random_id();
        auto ok = ::write(fds[1], id.data(), id.size()) == ssize_t(id.size());
        ::_exit(ok ? 0 : 1);
    }
    ::close(fds[1]);
    auto mine = sio::random_id();
    std::string theirs(20, '\0');
    auto got = ::read(fds[0], theirs.data(), theirs.size());
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    BOOST_TEST_REQUIRE(got == 20);
    BOOST_TEST(mine != theirs, "parent and child both drew " << mine);
}

BOOST_AUTO_TEST_SUITE_END()
