// SHA-1 and the WebSocket handshake values (host/sio/protocol/sha1.hpp,
// websocket_handshake.hpp). The digests are the FIPS 180 examples and lengths around the
// padding boundaries (55/56 and 63/64 bytes: the length field fits in the last block or
// needs one more), checked against Python's hashlib.

#include "sio/protocol/engine_packet.hpp"
#include "sio/protocol/sha1.hpp"
#include "sio/protocol/websocket_handshake.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <string>

namespace sio = gleitzeit::sio;

namespace {
std::string hex(const sio::sha1_digest& d) {
    std::string out;
    char two[3];
    for (auto b : d) {
        std::snprintf(two, sizeof two, "%02x", b);
        out += two;
    }
    return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(websocket_handshake)

BOOST_AUTO_TEST_CASE(sha1_fips_examples) {
    BOOST_TEST(hex(sio::sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    BOOST_TEST(hex(sio::sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
    BOOST_TEST(hex(sio::sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
               "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    BOOST_TEST(hex(sio::sha1(std::string(1'000'000, 'a'))) ==
               "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

BOOST_AUTO_TEST_CASE(sha1_around_the_padding_boundaries) {
    BOOST_TEST(hex(sio::sha1(std::string(55, 'a'))) == "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    BOOST_TEST(hex(sio::sha1(std::string(56, 'a'))) == "c2db330f6083854c99d4b5bfb6e8f29f201be699");
    BOOST_TEST(hex(sio::sha1(std::string(63, 'a'))) == "03f09f5b158a7a8cdad920bddc29b81c18a551f5");
    BOOST_TEST(hex(sio::sha1(std::string(64, 'a'))) == "0098ba824b5c16427bd7a1122a5a442a25ec644d");
    BOOST_TEST(hex(sio::sha1(std::string(119, 'a'))) == "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56");
}

BOOST_AUTO_TEST_CASE(accept_matches_the_rfc_6455_example) {
    BOOST_TEST(sio::ws::accept_for("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

BOOST_AUTO_TEST_CASE(a_key_is_16_random_bytes_in_base64) {
    auto a = sio::ws::make_key();
    auto b = sio::ws::make_key();
    BOOST_TEST(a.size() == 24u);
    BOOST_TEST(a != b);
    auto bytes = sio::engine::base64_decode(a);
    BOOST_REQUIRE(bytes);
    BOOST_TEST(bytes->size() == 16u);
}

BOOST_AUTO_TEST_SUITE_END()
