// Socket.IO v5 packet codec (host/sio/protocol/packet.hpp). Wire strings come from the Socket.IO v5
// protocol document (socketio/socket.io, docs/socket.io-protocol/v5-current.md), without
// the Engine.IO "4" prefix that decode() never sees.

#include "sio/protocol/packet.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>

#include <random>
#include <string>

namespace sio = gleitzeit::sio;
namespace json = boost::json;
using sio::packet_type;

namespace {

/// Decodes text that must be valid; fails the test with the codec's reason otherwise.
sio::packet must_decode(std::string_view text) {
    auto r = sio::decode(text);
    BOOST_TEST_REQUIRE(r.value.has_value(), "refused '" << text << "': " << r.error);
    BOOST_TEST(r.error.empty());
    return *r.value;
}

/// Checks that text is refused with a reason.
void must_refuse(std::string_view text) {
    auto r = sio::decode(text);
    BOOST_TEST(!r.value.has_value(), "accepted '" << text << "'");
    if (!r.value)
        BOOST_TEST(!r.error.empty(), "no reason for refusing '" << text << "'");
}

char type_char(packet_type t) {
    return static_cast<char>(t);
}

} // namespace

BOOST_AUTO_TEST_SUITE(packet_codec)

BOOST_AUTO_TEST_CASE(connect) {
    auto p = must_decode("0");
    BOOST_TEST(type_char(p.type) == '0');
    BOOST_TEST(p.nsp == "/");
    BOOST_TEST(!p.id);
    BOOST_TEST(p.data.is_null());
    BOOST_TEST(sio::encode(p) == "0");

    p = must_decode("0/admin,");
    BOOST_TEST(p.nsp == "/admin");
    BOOST_TEST(p.data.is_null());

    p = must_decode(R"(0{"token":"123"})");
    BOOST_TEST(p.nsp == "/");
    BOOST_TEST(p.data == json::parse(R"({"token":"123"})"));
    BOOST_TEST(sio::encode(p) == R"(0{"token":"123"})");

    p = must_decode(R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})");
    BOOST_TEST(p.nsp == "/admin");
    BOOST_TEST(p.data.at("sid") == "oSO0OpakMV_3jnilAAAA");
    BOOST_TEST(sio::encode(p) == R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})");
}

BOOST_AUTO_TEST_CASE(disconnect) {
    auto p = must_decode("1");
    BOOST_TEST(type_char(p.type) == '1');
    BOOST_TEST(p.nsp == "/");
    BOOST_TEST(sio::encode(p) == "1");
    p = must_decode("1/admin,");
    BOOST_TEST(p.nsp == "/admin");
    BOOST_TEST(sio::encode(p) == "1/admin,");
}

BOOST_AUTO_TEST_CASE(event) {
    auto p = must_decode(R"(2["foo"])");
    BOOST_TEST(type_char(p.type) == '2');
    BOOST_TEST(p.data == json::parse(R"(["foo"])"));
    BOOST_TEST(!p.id);

    p = must_decode(R"(2/admin,456["project:delete",123])");
    BOOST_TEST(p.nsp == "/admin");
    BOOST_REQUIRE(p.id);
    BOOST_TEST(*p.id == 456u);
    BOOST_TEST(p.data == json::parse(R"(["project:delete",123])"));
    BOOST_TEST(sio::encode(p) == R"(2/admin,456["project:delete",123])");

    p = must_decode(R"(212["foo"])");
    BOOST_REQUIRE(p.id);
    BOOST_TEST(*p.id == 12u);
}

BOOST_AUTO_TEST_CASE(ack) {
    auto p = must_decode(R"(3456[1,"2"])");
    BOOST_TEST(type_char(p.type) == '3');
    BOOST_REQUIRE(p.id);
    BOOST_TEST(*p.id == 456u);
    BOOST_TEST(p.data == json::parse(R"([1,"2"])"));
    BOOST_TEST(sio::encode(p) == R"(3456[1,"2"])");

    p = must_decode(R"(3/admin,13["bar"])");
    BOOST_TEST(p.nsp == "/admin");
    BOOST_TEST(*p.id == 13u);

    // "The payload is mandatory and MUST be an array (possibly empty)."
    p = must_decode("312[]");
    BOOST_TEST(p.data.as_array().empty());
    BOOST_TEST(sio::encode(p) == "312[]");
}

BOOST_AUTO_TEST_CASE(connect_error) {
    auto p = must_decode(R"(4{"message":"Not authorized"})");
    BOOST_TEST(type_char(p.type) == '4');
    BOOST_TEST(p.data.at("message") == "Not authorized");
    BOOST_TEST(sio::encode(p) == R"(4{"message":"Not authorized"})");
    p = must_decode(R"(4/admin,{"message":"x","data":{"code":1}})");
    BOOST_TEST(p.nsp == "/admin");
}

BOOST_AUTO_TEST_CASE(binary_event) {
    auto p = must_decode(R"(51-["hello",{"_placeholder":true,"num":0}])");
    BOOST_TEST(type_char(p.type) == '5');
    BOOST_TEST(p.attachments == 1u);
    BOOST_TEST(p.nsp == "/");
    BOOST_TEST(!p.id);
    BOOST_TEST((sio::placeholder_index(p.data.at(1)) == std::optional<std::size_t>(0)));
    BOOST_TEST(sio::encode(p) == R"(51-["hello",{"_placeholder":true,"num":0}])");

    p = must_decode(
        R"(52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    BOOST_TEST(p.attachments == 2u);
    BOOST_TEST(p.nsp == "/admin");
    BOOST_TEST(sio::encode(p) ==
               R"(52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
}

BOOST_AUTO_TEST_CASE(binary_ack) {
    auto p = must_decode(R"(61-/admin,456[{"_placeholder":true,"num":0}])");
    BOOST_TEST(type_char(p.type) == '6');
    BOOST_TEST(p.attachments == 1u);
    BOOST_TEST(p.nsp == "/admin");
    BOOST_REQUIRE(p.id);
    BOOST_TEST(*p.id == 456u);
    BOOST_TEST(sio::encode(p) == R"(61-/admin,456[{"_placeholder":true,"num":0}])");

    p = must_decode(R"(61-15["bar",{"_placeholder":true,"num":0}])");
    BOOST_TEST(p.nsp == "/");
    BOOST_TEST(*p.id == 15u);
}

BOOST_AUTO_TEST_CASE(placeholders) {
    BOOST_TEST(json::serialize(sio::placeholder(3)) == R"({"_placeholder":true,"num":3})");
    BOOST_TEST((sio::placeholder_index(sio::placeholder(0)) == std::optional<std::size_t>(0)));
    BOOST_TEST(
        (sio::placeholder_index(sio::placeholder(9999)) == std::optional<std::size_t>(9999)));

    const char* not_placeholders[] = {
        R"({"_placeholder":false,"num":0})",
        R"({"_placeholder":true})",
        R"({"num":0})",
        R"({"_placeholder":true,"num":-1})",
        R"({"_placeholder":true,"num":"0"})",
        R"({"_placeholder":1,"num":0})",
        R"({"_placeholder":true,"num":0.5})",
        R"([true,0])",
        R"(null)",
    };
    for (const char* text : not_placeholders)
        BOOST_TEST(!sio::placeholder_index(json::parse(text)), text);

    auto nested = json::parse(
        R"({"a":[1,{"b":{"_placeholder":true,"num":1}}],"c":{"_placeholder":true,"num":0},"d":"x"})");
    BOOST_TEST(sio::placeholders_valid(nested, 2));
    BOOST_TEST(!sio::placeholders_valid(nested, 1)); // num 1 is out of range
    BOOST_TEST(!sio::placeholders_valid(nested, 0));
    BOOST_TEST(sio::placeholders_valid(json::parse(R"([1,"a",{"x":null}])"), 0));
    // Something that claims to be a placeholder but is malformed is never valid.
    BOOST_TEST(!sio::placeholders_valid(json::parse(R"([{"_placeholder":true,"num":"0"}])"), 5));
}

BOOST_AUTO_TEST_CASE(encode_event_and_ack) {
    sio::message m;
    m.args = json::array{123, "x", json::object{{"k", nullptr}}};
    BOOST_TEST(sio::encode_event("/", "project:delete", m) ==
               R"(2["project:delete",123,"x",{"k":null}])");
    BOOST_TEST(sio::encode_event("/admin", "e", m, 456) ==
               R"(2/admin,456["e",123,"x",{"k":null}])");
    BOOST_TEST(sio::encode_event("/", "bare", {}) == R"(2["bare"])");
    BOOST_TEST(sio::encode_ack("/", 12, {}) == "312[]");
    BOOST_TEST(sio::encode_ack("/admin", 13, m) == R"(3/admin,13[123,"x",{"k":null}])");

    sio::message bin;
    bin.args =
        json::array{sio::placeholder(0), json::object{{"deep", json::array{sio::placeholder(1)}}}};
    bin.attachments = {"\x01\x02", "\x03\x04"};
    auto ev = sio::encode_event("/", "hello", bin);
    BOOST_TEST(
        ev ==
        R"(52-["hello",{"_placeholder":true,"num":0},{"deep":[{"_placeholder":true,"num":1}]}])");
    auto ack = sio::encode_ack("/admin", 456, bin);
    BOOST_TEST(
        ack ==
        R"(62-/admin,456[{"_placeholder":true,"num":0},{"deep":[{"_placeholder":true,"num":1}]}])");

    // What is encoded decodes to the same packet.
    auto p = must_decode(ev);
    BOOST_TEST(p.attachments == 2u);
    BOOST_TEST(p.data.as_array().at(2) == bin.args.at(1));
    p = must_decode(ack);
    BOOST_TEST(*p.id == 456u);
    BOOST_TEST(json::value(p.data.as_array()) == json::value(bin.args));

    // An event name is JSON-escaped, not pasted.
    BOOST_TEST(sio::encode_event("/", "a\"b\\c", {}) == R"(2["a\"b\\c"])");
}

BOOST_AUTO_TEST_CASE(empty_arrays) {
    must_decode("30[]"); // an ack with no arguments
    must_refuse("2[]");  // "The payload is mandatory and MUST be a non-empty array."
    must_refuse("212[]");
    must_refuse("50-[]");
}

BOOST_AUTO_TEST_CASE(unicode_round_trip) {
    // UTF-8 bytes of "größe", "日本", "😀" (U+1F600) and "𝄞" (U+1D11E).
    const std::string name = "gr\xc3\xb6\xc3\x9f"
                             "e:\xe6\x97\xa5\xe6\x9c\xac";
    const std::string emoji = "\xf0\x9f\x98\x80 \xf0\x9d\x84\x9e";
    sio::message m;
    m.args = json::array{json::string(emoji), json::object{{name, json::string(emoji)}}};
    auto text = sio::encode_event("/\xc3\xa4", name, m, 7);
    // Non-ASCII travels as raw UTF-8, byte for byte, not as \u escapes.
    BOOST_TEST(text == "2/\xc3\xa4,7[\"" + name + "\",\"" + emoji + "\",{\"" + name + "\":\"" +
                           emoji + "\"}]");
    auto p = must_decode(text);
    BOOST_TEST(p.nsp == "/\xc3\xa4");
    BOOST_TEST(std::string(p.data.at(0).as_string()) == name);
    BOOST_TEST(std::string(p.data.at(1).as_string()) == emoji);
    BOOST_TEST(std::string(p.data.at(2).at(name).as_string()) == emoji);
    BOOST_TEST(sio::encode(p) == text);

    // \u escapes (a surrogate pair for the emoji) decode to the same bytes.
    p = must_decode(R"(2["\ud83d\ude00"])");
    BOOST_TEST(std::string(p.data.at(0).as_string()) == "\xf0\x9f\x98\x80");
    // Invalid UTF-8 is not JSON.
    must_refuse("2[\"\xff\xfe\"]");
}

BOOST_AUTO_TEST_CASE(nested_binary_placeholders) {
    const char* deep =
        R"(63-9[{"a":[[{"b":{"_placeholder":true,"num":2}}]],"c":{"_placeholder":true,"num":0}},)"
        R"([1,[2,[3,{"_placeholder":true,"num":1}]]]])";
    auto p = must_decode(deep);
    BOOST_TEST(p.attachments == 3u);
    BOOST_TEST(*p.id == 9u);
    BOOST_TEST(sio::encode(p) == deep);
    // The same packet announcing fewer attachments than it refers to is refused.
    must_refuse(R"(62-9[{"a":[[{"b":{"_placeholder":true,"num":2}}]]}])");
    must_refuse(R"(51-["e",{"x":[{"_placeholder":true,"num":1}]}])");
    must_refuse(R"(51-["e",{"_placeholder":true,"num":-1}])");
    must_refuse(R"(51-["e",{"_placeholder":true,"num":"0"}])");
}

BOOST_AUTO_TEST_CASE(large_ack_ids) {
    auto p = must_decode(R"(218446744073709551615["e"])");
    BOOST_TEST(*p.id == 18446744073709551615ull);
    BOOST_TEST(sio::encode(p) == R"(218446744073709551615["e"])");
    p = must_decode("3/admin,18446744073709551615[]");
    BOOST_TEST(*p.id == 18446744073709551615ull);
    BOOST_TEST(sio::encode_ack("/", 18446744073709551615ull, {}) == "318446744073709551615[]");
    must_refuse(R"(218446744073709551616["e"])");
    must_refuse("318446744073709551616[]");
    must_refuse(R"(299999999999999999999999999["e"])");
}

BOOST_AUTO_TEST_CASE(malformed) {
    const char* bad[] = {
        "",                // nothing
        "7",               // unknown type
        "9",               // unknown type
        "a",               // not a type digit
        "2{}",             // an event must be an array
        "2abc",            // not JSON
        R"(2"a")",         // an event must be an array
        R"(2[1])",         // the event name must be a string
        R"(5-["a"])",      // no attachment count
        "5x-[]",           // attachment count not a number
        R"(51["a"])",      // count without its dash
        R"(510001-["a"])", // more attachments than anyone sends
        R"(599999999999999999999-["a"])",
        R"(51-)",    // binary event without data
        "0/nsp,[1]", // CONNECT data must be an object
        "0[]",
        R"(0"x")",
        "1/nsp,{}", // DISCONNECT carries no data
        "1{}",
        "4", // CONNECT_ERROR needs its reason
        "4[1]",
        "3", // an ACK needs an array
        "31",
        R"(31{})",
        R"(2["a")", // truncated JSON
        R"(2["a",{"b":)",
        R"(2["a"]x)", // trailing garbage
        R"(2["a"]])",
        R"(2["a"]["b"])",
        R"(01{})",              // an id on CONNECT
        "11",                   // an id on DISCONNECT
        R"(41{"message":"x"})", // an id on CONNECT_ERROR
        R"(2admin,["a"])",      // a namespace must start with '/'
        R"(2/admin,-1["a"])",   // a negative id
    };
    for (const char* text : bad)
        must_refuse(text);
}

// An ACK answers the EVENT with the same id ("The receiver MUST respond with an ACK packet
// with the same event ID"); an ACK without an id answers nothing and is malformed.
BOOST_AUTO_TEST_CASE(ack_without_id_is_refused) {
    must_refuse("3[]");
    must_refuse(R"(3["a"])");
    must_refuse("3/admin,[]");
    must_refuse(R"(61-[{"_placeholder":true,"num":0}])");
}

// A number beyond the range of a double is valid JSON, and JSON.parse reads it as
// Infinity; but whatever the codec accepts it must also be able to send back as JSON
// (the fixture and the hub echo arguments). "Infinity" is not JSON (RFC 8259 section 6):
// JSON.stringify writes non-finite numbers as null, and so should encode().
BOOST_AUTO_TEST_CASE(out_of_range_numbers_reencode_as_json) {
    for (const char* text : {R"(3456[1e400])", R"(2["e",-1.5e3080,{"x":[1e999]}])"}) {
        auto r = sio::decode(text);
        if (!r.value)
            continue; // refusing them is fine as well
        auto out = sio::encode(*r.value);
        BOOST_TEST(out.find("Infinity") == std::string::npos, text << " re-encodes as " << out);
        BOOST_TEST(sio::decode(out).value.has_value(), text << " re-encodes as " << out);
    }
}

// An integer of more digits than the largest double has (309) overflows without any
// exponent: it becomes null like 1e400, and one of 308 digits stays a number.
BOOST_AUTO_TEST_CASE(integers_beyond_a_double_become_null) {
    const std::string huge(400, '9');
    auto r = sio::decode(R"(2["n",)" + huge + ",-" + huge + R"(,{"x":[)" + huge + "]}]");
    BOOST_TEST_REQUIRE(r.value.has_value(), r.error);
    BOOST_TEST(sio::encode(*r.value) == R"(2["n",null,null,{"x":[null]}])");
    auto near = sio::decode(R"(2["n",)" + std::string(308, '9') + "]");
    BOOST_TEST_REQUIRE(near.value.has_value(), near.error);
    BOOST_TEST(near.value->data.at(1).is_double());
    BOOST_TEST(std::isfinite(near.value->data.at(1).get_double()));
}

// The CLI refuses a workflow file nested deeper than this allows (host/cli/workflow_file.hpp):
// the constant must be what decode() does.
BOOST_AUTO_TEST_CASE(data_nests_at_most_max_json_depth) {
    // ["e",[[...]]]: the event's array is level 1.
    auto nested = [](std::size_t depth) {
        return R"(2["e",)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "]";
    };
    BOOST_TEST(sio::decode(nested(sio::max_json_depth)).value.has_value());
    auto r = sio::decode(nested(sio::max_json_depth + 1));
    BOOST_TEST(!r.value.has_value());
    BOOST_TEST(r.error == "invalid JSON: too deep");
}

// A fixed-seed fuzz loop: mutations of valid packets must be decoded or refused, never
// crash, hang or trip the sanitizers; whatever is accepted must re-encode and decode again.
BOOST_AUTO_TEST_CASE(fuzz_decode) {
    const std::string seeds[] = {
        "0",
        "0/admin,",
        R"(0{"token":"123"})",
        "1/admin,",
        R"(2/admin,456["project:delete",123])",
        R"(3456[1,"2"])",
        R"(4{"message":"Not authorized"})",
        R"(51-["hello",{"_placeholder":true,"num":0}])",
        R"(61-/admin,456[{"_placeholder":true,"num":0}])",
        R"(52-/a,7["x",{"y":[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]}])",
        "2[\"\xf0\x9f\x98\x80\",1.5e300,-0,null,true,{\"a\":[]}]",
    };
    const std::string alphabet = "0123456789-/,[]{}\":_\\ taeuxnr\x1e\xff\xc3";
    std::mt19937 rng(0x5eed);
    auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    std::size_t accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string text = seeds[pick(std::size(seeds))];
        for (std::size_t k = 1 + pick(4); k > 0; --k) {
            std::size_t at = text.empty() ? 0 : pick(text.size() + 1);
            switch (pick(5)) {
            case 0: // insert a character
                text.insert(at, 1, alphabet[pick(alphabet.size())]);
                break;
            case 1: // delete one
                if (at < text.size())
                    text.erase(at, 1);
                break;
            case 2: // replace one
                if (at < text.size())
                    text[at] = static_cast<char>(pick(256));
                break;
            case 3: // truncate
                text.resize(at);
                break;
            case 4: // duplicate a slice (deep nesting, repeated headers)
                text.insert(at, text.substr(pick(text.size() + 1)).substr(0, 16));
                break;
            }
        }
        auto r = sio::decode(text);
        BOOST_TEST((r.value.has_value() == r.error.empty()),
                   "value and error disagree for " << text);
        if (r.value) {
            ++accepted;
            auto again = sio::decode(sio::encode(*r.value));
            BOOST_TEST(again.value.has_value(),
                       "re-encoding of accepted '" << text << "' is refused");
        }
    }
    BOOST_TEST_MESSAGE("fuzz: " << accepted << " of 20000 mutations accepted");
    BOOST_TEST(accepted > 0u); // the mutations are not all trivially broken
}

BOOST_AUTO_TEST_SUITE_END()
