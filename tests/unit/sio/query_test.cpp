// Engine.IO request query parsing (host/sio/server/query.hpp). The error bodies are those of the
// reference server (engine.io Server.errors / errorMessages): code 0 "Transport unknown",
// 3 "Bad request", 5 "Unsupported protocol version".

#include "sio/server/query.hpp"

#include <boost/test/unit_test.hpp>

namespace eio = gleitzeit::sio::engine;

namespace {
const std::string unsupported = R"({"code":5,"message":"Unsupported protocol version"})";
const std::string transport_unknown = R"({"code":0,"message":"Transport unknown"})";
const std::string bad_request = R"({"code":3,"message":"Bad request"})";
} // namespace

BOOST_AUTO_TEST_SUITE(query)

BOOST_AUTO_TEST_CASE(parses_the_handshake_query) {
    auto q = eio::parse_query("/socket.io/?EIO=4&transport=polling&t=N8hyd6w");
    BOOST_TEST(q.path == "/socket.io/");
    BOOST_REQUIRE(q.eio);
    BOOST_TEST(*q.eio == "4");
    BOOST_REQUIRE(q.transport);
    BOOST_TEST(*q.transport == "polling");
    BOOST_TEST(!q.sid);
    BOOST_TEST(eio::query_error(q, false).empty());
}

BOOST_AUTO_TEST_CASE(parses_sid_in_any_order) {
    auto q = eio::parse_query("/socket.io/?sid=lv_VI97HAXpY6yYWAAAC&transport=websocket&EIO=4");
    BOOST_REQUIRE(q.sid);
    BOOST_TEST(*q.sid == "lv_VI97HAXpY6yYWAAAC");
    BOOST_TEST(*q.transport == "websocket");
    BOOST_TEST(eio::query_error(q, true).empty());
}

BOOST_AUTO_TEST_CASE(no_query) {
    auto q = eio::parse_query("/socket.io/");
    BOOST_TEST(q.path == "/socket.io/");
    BOOST_TEST(!q.eio);
    BOOST_TEST(!q.transport);
    BOOST_TEST(!q.sid);
    auto empty = eio::parse_query("/socket.io/?");
    BOOST_TEST(empty.path == "/socket.io/");
    BOOST_TEST(!empty.eio);
}

BOOST_AUTO_TEST_CASE(percent_decoding) {
    // Sids use the base64url alphabet, but a client may still escape them; '+' is a space
    // in application/x-www-form-urlencoded.
    auto q = eio::parse_query("/socket.io/?EIO=%34&transport=web%73ocket&sid=a%2Db%2fc%2Fd+e%41");
    BOOST_TEST(*q.eio == "4");
    BOOST_TEST(*q.transport == "websocket");
    BOOST_TEST(*q.sid == "a-b/c/d eA");
    BOOST_TEST(eio::query_error(q, true).empty());

    // A '%' not followed by two hex digits stays as it is.
    q = eio::parse_query("/?sid=50%&EIO=4%&transport=%zz");
    BOOST_TEST(*q.sid == "50%");
    BOOST_TEST(*q.eio == "4%");
    BOOST_TEST(*q.transport == "%zz");
    q = eio::parse_query("/?sid=%4");
    BOOST_TEST(*q.sid == "%4");
}

BOOST_AUTO_TEST_CASE(odd_pairs) {
    // Keys without values, empty pairs and unknown keys are tolerated.
    auto q = eio::parse_query("/socket.io/?&&EIO&foo=bar&transport=&=x&");
    BOOST_REQUIRE(q.eio);
    BOOST_TEST(q.eio->empty());
    BOOST_REQUIRE(q.transport);
    BOOST_TEST(q.transport->empty());
    BOOST_TEST(!q.sid);
    // The value runs to the next '&' and may itself contain '='.
    q = eio::parse_query("/?sid=a=b&EIO=4");
    BOOST_TEST(*q.sid == "a=b");
    // Keys are case-sensitive: "eio" is not "EIO".
    q = eio::parse_query("/?eio=4&transport=polling");
    BOOST_TEST(!q.eio);
}

BOOST_AUTO_TEST_CASE(missing_or_invalid_eio) {
    for (const char* target :
         {"/socket.io/?transport=polling", "/socket.io/?EIO=3&transport=polling",
          "/socket.io/?EIO=&transport=polling", "/socket.io/?EIO=44&transport=polling",
          "/socket.io/?EIO=4.0&transport=polling"}) {
        auto q = eio::parse_query(target);
        BOOST_TEST(eio::query_error(q, false) == unsupported, target);
    }
}

BOOST_AUTO_TEST_CASE(missing_or_unknown_transport) {
    for (const char* target :
         {"/socket.io/?EIO=4", "/socket.io/?EIO=4&transport=flashsocket",
          "/socket.io/?EIO=4&transport=", "/socket.io/?EIO=4&transport=Polling"}) {
        auto q = eio::parse_query(target);
        BOOST_TEST(eio::query_error(q, false) == transport_unknown, target);
        BOOST_TEST(eio::query_error(q, true) == transport_unknown, target);
    }
}

BOOST_AUTO_TEST_CASE(transport_must_match_the_request) {
    // A WebSocket upgrade that says transport=polling, or a plain request that says
    // transport=websocket, is a bad request.
    auto polling = eio::parse_query("/socket.io/?EIO=4&transport=polling");
    BOOST_TEST(eio::query_error(polling, true) == bad_request);
    auto websocket = eio::parse_query("/socket.io/?EIO=4&transport=websocket");
    BOOST_TEST(eio::query_error(websocket, false) == bad_request);
    BOOST_TEST(eio::query_error(websocket, true).empty());
}

BOOST_AUTO_TEST_SUITE_END()
