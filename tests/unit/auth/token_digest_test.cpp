// Token digests (host/auth/token_digest.hpp): SHA-256 as the config writes it, and the
// comparison the hub makes.

#include "auth/token_digest.hpp"

#include <boost/test/unit_test.hpp>

namespace auth = gleitzeit::auth;

BOOST_AUTO_TEST_SUITE(token_digest)

// FIPS 180-2's examples.
BOOST_AUTO_TEST_CASE(sha256_known_vectors_in_lowercase_hex) {
    BOOST_TEST(auth::token_sha256("") ==
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(auth::token_sha256("abc") ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(a_digest_in_any_case_is_normalized_anything_else_refused) {
    auto upper = std::string("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
    BOOST_TEST(auth::normalized_sha256(upper).value_or("") == auth::token_sha256("abc"));
    BOOST_TEST(!auth::normalized_sha256(upper.substr(1)));            // 63 digits
    BOOST_TEST(!auth::normalized_sha256(upper + "0"));                // 65
    BOOST_TEST(!auth::normalized_sha256(std::string(63, 'a') + "g")); // not hex
    BOOST_TEST(!auth::normalized_sha256(""));
}

BOOST_AUTO_TEST_CASE(same_digest_compares_whole_digests) {
    auto a = auth::token_sha256("token-a");
    auto b = auth::token_sha256("token-b");
    BOOST_TEST(auth::same_digest(a, auth::token_sha256("token-a")));
    BOOST_TEST(!auth::same_digest(a, b));
    auto last = a;
    last.back() = last.back() == '0' ? '1' : '0';
    BOOST_TEST(!auth::same_digest(a, last)); // differs only in its last digit
    BOOST_TEST(!auth::same_digest(a, a.substr(0, 63)));
    BOOST_TEST(!auth::same_digest(a, ""));
}

BOOST_AUTO_TEST_SUITE_END()
