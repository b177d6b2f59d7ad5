// WebSocket framing: headers in all three length encodings, masking, the refusals RFC 6455
// asks for, and reassembly of messages split across reads and across frames.
#include "sio/protocol/ws_frame.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace ws = gleitzeit::sio::ws;

namespace {

/// A masked client frame, as a browser would send it.
std::string client_frame(ws::opcode op, std::string_view payload, bool fin = true) {
    std::string out;
    ws::append_masked_frame(out, op, payload, 0x11223344u);
    if (!fin)
        out[0] = static_cast<char>(out[0] & 0x7f);
    return out;
}

/// An unmasked server frame.
std::string server_frame(ws::opcode op, std::string_view payload) {
    std::uint8_t h[10];
    auto n = ws::write_header(h, op, payload.size());
    return std::string(reinterpret_cast<char*>(h), n) + std::string(payload);
}

struct collector : ws::frame_reader::listener {
    std::vector<std::pair<ws::opcode, std::string>> messages;
    std::vector<std::pair<ws::opcode, std::string>> controls;
    bool on_message(ws::opcode op, std::string_view p) override {
        messages.emplace_back(op, std::string(p));
        return true;
    }
    bool on_control(ws::opcode op, std::string_view p) override {
        controls.emplace_back(op, std::string(p));
        return op != ws::opcode::close;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(ws_frame)

BOOST_AUTO_TEST_CASE(header_lengths_use_the_minimal_encoding) {
    std::uint8_t h[10];
    BOOST_TEST(ws::write_header(h, ws::opcode::text, 125) == 2u);
    BOOST_TEST(h[0] == 0x81);
    BOOST_TEST(h[1] == 125);
    BOOST_TEST(ws::write_header(h, ws::opcode::binary, 126) == 4u);
    BOOST_TEST(h[0] == 0x82);
    BOOST_TEST(h[1] == 126);
    BOOST_TEST((h[2] << 8 | h[3]) == 126);
    BOOST_TEST(ws::write_header(h, ws::opcode::text, 70000) == 10u);
    BOOST_TEST(h[1] == 127);
    BOOST_TEST((h[7] << 16 | h[8] << 8 | h[9]) == 70000);
}

BOOST_AUTO_TEST_CASE(masked_frames_round_trip_at_every_length_encoding) {
    for (std::size_t len : {0u, 1u, 125u, 126u, 65535u, 65536u, 200000u}) {
        std::string payload(len, 'a');
        for (std::size_t i = 0; i < len; ++i)
            payload[i] = static_cast<char>(i * 7);
        auto frame = client_frame(ws::opcode::binary, payload);
        collector c;
        ws::frame_reader r(true, 1 << 20);
        BOOST_TEST((r.feed(frame.data(), frame.size(), c) == ws::frame_reader::status::ok));
        BOOST_TEST_REQUIRE(c.messages.size() == 1u);
        BOOST_TEST((c.messages[0].first == ws::opcode::binary));
        BOOST_TEST(c.messages[0].second == payload, "length " << len);
    }
}

BOOST_AUTO_TEST_CASE(frames_split_across_reads_and_several_in_one_read) {
    auto bytes = client_frame(ws::opcode::text, "hello") +
                 client_frame(ws::opcode::text, std::string(300, 'x')) +
                 client_frame(ws::opcode::ping, "p");
    for (std::size_t cut = 1; cut < bytes.size(); cut += 7) {
        collector c;
        ws::frame_reader r(true, 1 << 20);
        std::string a = bytes.substr(0, cut), b = bytes.substr(cut);
        BOOST_TEST((r.feed(a.data(), a.size(), c) == ws::frame_reader::status::ok));
        BOOST_TEST((r.feed(b.data(), b.size(), c) == ws::frame_reader::status::ok));
        BOOST_TEST_REQUIRE(c.messages.size() == 2u, "cut at " << cut);
        BOOST_TEST(c.messages[0].second == "hello");
        BOOST_TEST(c.messages[1].second == std::string(300, 'x'));
        BOOST_TEST_REQUIRE(c.controls.size() == 1u);
        BOOST_TEST((c.controls[0].first == ws::opcode::ping));
    }
}

BOOST_AUTO_TEST_CASE(fragmented_messages_are_reassembled_around_control_frames) {
    auto bytes = client_frame(ws::opcode::text, "ab", false) + client_frame(ws::opcode::ping, "") +
                 client_frame(ws::opcode::continuation, "cd", false) +
                 client_frame(ws::opcode::continuation, "e");
    collector c;
    ws::frame_reader r(true, 1 << 20);
    BOOST_TEST((r.feed(bytes.data(), bytes.size(), c) == ws::frame_reader::status::ok));
    BOOST_TEST_REQUIRE(c.messages.size() == 1u);
    BOOST_TEST(c.messages[0].second == "abcde");
    BOOST_TEST(c.controls.size() == 1u);
}

BOOST_AUTO_TEST_CASE(refusals) {
    auto status = [](std::string bytes, bool masked = true, std::uint64_t max = 1 << 20) {
        collector c;
        ws::frame_reader r(masked, max);
        return r.feed(bytes.data(), bytes.size(), c);
    };
    using st = ws::frame_reader::status;
    // An unmasked frame from a client, a masked one from a server.
    BOOST_TEST((status(server_frame(ws::opcode::text, "x")) == st::protocol_error));
    BOOST_TEST((status(client_frame(ws::opcode::text, "x"), false) == st::protocol_error));
    // RSV bits without a negotiated extension; an unknown opcode.
    auto rsv = client_frame(ws::opcode::text, "x");
    rsv[0] = static_cast<char>(rsv[0] | 0x40);
    BOOST_TEST((status(rsv) == st::protocol_error));
    auto op = client_frame(ws::opcode::text, "x");
    op[0] = static_cast<char>((op[0] & 0xf0) | 0x3);
    BOOST_TEST((status(op) == st::protocol_error));
    // A fragmented control frame; a control frame over 125 bytes.
    BOOST_TEST((status(client_frame(ws::opcode::ping, "p", false)) == st::protocol_error));
    BOOST_TEST(
        (status(client_frame(ws::opcode::ping, std::string(126, 'p'))) == st::protocol_error));
    // A continuation with no message under way; a new message inside a fragmented one.
    BOOST_TEST((status(client_frame(ws::opcode::continuation, "x")) == st::protocol_error));
    BOOST_TEST((status(client_frame(ws::opcode::text, "a", false) +
                       client_frame(ws::opcode::text, "b")) == st::protocol_error));
    // Too big, in one frame or summed over fragments.
    BOOST_TEST(
        (status(client_frame(ws::opcode::text, std::string(101, 'x')), true, 100) == st::too_big));
    BOOST_TEST((status(client_frame(ws::opcode::text, std::string(60, 'x'), false) +
                           client_frame(ws::opcode::continuation, std::string(60, 'x')),
                       true, 100) == st::too_big));
    BOOST_TEST(
        (status(client_frame(ws::opcode::text, std::string(100, 'x')), true, 100) == st::ok));
}

BOOST_AUTO_TEST_CASE(a_close_frame_stops_reading) {
    auto bytes = client_frame(ws::opcode::close, std::string("\x03\xe8", 2)) +
                 client_frame(ws::opcode::text, "late");
    collector c;
    ws::frame_reader r(true, 1 << 20);
    BOOST_TEST((r.feed(bytes.data(), bytes.size(), c) == ws::frame_reader::status::ok));
    BOOST_TEST(c.controls.size() == 1u);
    BOOST_TEST(c.messages.empty());
}

BOOST_AUTO_TEST_CASE(clear_drops_the_frame_and_the_message_under_way) {
    // Half of a frame, and the first frame of a fragmented message: both go.
    auto half = client_frame(ws::opcode::binary, std::string(1000, 'h'));
    half.resize(500);
    auto first = client_frame(ws::opcode::text, "part", false);
    collector c;
    ws::frame_reader r(true, 1 << 20);
    BOOST_TEST((r.feed(first.data(), first.size(), c) == ws::frame_reader::status::ok));
    BOOST_TEST((r.feed(half.data(), half.size(), c) == ws::frame_reader::status::ok));
    r.clear();
    // What follows is read as a fresh start: a whole message, not a continuation of either.
    auto next = client_frame(ws::opcode::text, "fresh");
    BOOST_TEST((r.feed(next.data(), next.size(), c) == ws::frame_reader::status::ok));
    BOOST_TEST_REQUIRE(c.messages.size() == 1u);
    BOOST_TEST(c.messages[0].second == "fresh");
}

BOOST_AUTO_TEST_CASE(a_frame_split_over_many_reads_arrives_whole) {
    // The rest of a frame is kept in a buffer cut to its size after each read; the frame
    // comes out the same, whatever the cuts.
    auto bytes = client_frame(ws::opcode::text, "a") +
                 client_frame(ws::opcode::binary, std::string(100000, 'b')) +
                 client_frame(ws::opcode::text, "c");
    for (std::size_t piece : {1000u, 65536u, 70001u}) {
        collector c;
        ws::frame_reader r(true, 1 << 20);
        for (std::size_t at = 0; at < bytes.size(); at += piece) {
            auto copy = bytes.substr(at, piece);
            BOOST_TEST((r.feed(copy.data(), copy.size(), c) == ws::frame_reader::status::ok));
        }
        BOOST_TEST_REQUIRE(c.messages.size() == 3u);
        BOOST_TEST(c.messages[1].second == std::string(100000, 'b'), "pieces of " << piece);
        BOOST_TEST(c.messages[2].second == "c");
    }
}

BOOST_AUTO_TEST_SUITE_END()
