// Attachment reassembly (host/sio/protocol/attachment_reassembler.hpp), which the server's
// session_sockets and the client both use: a binary packet waits for exactly the
// attachments it announced, in order, and anything out of turn is a violation.

#include "sio/protocol/attachment_reassembler.hpp"

#include <boost/test/unit_test.hpp>

namespace sio = gleitzeit::sio;

BOOST_AUTO_TEST_SUITE(attachment_reassembler)

BOOST_AUTO_TEST_CASE(a_packet_without_attachments_comes_out_at_once) {
    sio::attachment_reassembler r;
    auto out = r.feed(R"(2/admin,["hello",1])", false);
    BOOST_TEST(!out.failed());
    BOOST_REQUIRE(out.done);
    BOOST_TEST((out.done->value.type == sio::packet_type::event));
    BOOST_TEST(out.done->value.nsp == "/admin");
    BOOST_TEST(out.done->attachments.empty());
    BOOST_TEST(!r.pending());
}

BOOST_AUTO_TEST_CASE(a_binary_event_waits_for_its_attachments_in_order) {
    sio::attachment_reassembler r;
    auto announce =
        r.feed(R"(52-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", false);
    BOOST_TEST(!announce.failed());
    BOOST_TEST(!announce.done.has_value());
    BOOST_TEST(r.pending());

    auto first = r.feed(std::string_view("\x00\x01", 2), true);
    BOOST_TEST(!first.failed());
    BOOST_TEST(!first.done.has_value());

    auto second = r.feed("second", true);
    BOOST_REQUIRE(second.done);
    BOOST_TEST((second.done->value.type == sio::packet_type::binary_event));
    BOOST_REQUIRE(second.done->attachments.size() == 2u);
    BOOST_TEST(second.done->attachments[0] == std::string("\x00\x01", 2));
    BOOST_TEST(second.done->attachments[1] == "second");
    BOOST_TEST(!r.pending());
}

BOOST_AUTO_TEST_CASE(a_binary_ack_keeps_its_id) {
    sio::attachment_reassembler r;
    BOOST_TEST(!r.feed(R"(61-/admin,456[{"_placeholder":true,"num":0}])", false).done.has_value());
    auto out = r.feed("bytes", true);
    BOOST_REQUIRE(out.done);
    BOOST_TEST((out.done->value.type == sio::packet_type::binary_ack));
    BOOST_REQUIRE(out.done->value.id);
    BOOST_TEST(*out.done->value.id == 456u);
    BOOST_TEST(out.done->attachments.at(0) == "bytes");
}

BOOST_AUTO_TEST_CASE(consecutive_packets_do_not_share_attachments) {
    sio::attachment_reassembler r;
    r.feed(R"(51-["a",{"_placeholder":true,"num":0}])", false);
    auto a = r.feed("one", true);
    r.feed(R"(51-["b",{"_placeholder":true,"num":0}])", false);
    auto b = r.feed("two", true);
    BOOST_REQUIRE(a.done);
    BOOST_REQUIRE(b.done);
    BOOST_TEST(a.done->attachments.size() == 1u);
    BOOST_TEST(b.done->attachments.size() == 1u);
    BOOST_TEST(b.done->attachments[0] == "two");
}

BOOST_AUTO_TEST_CASE(a_binary_message_nobody_announced_is_a_violation) {
    sio::attachment_reassembler r;
    auto out = r.feed("stray", true);
    BOOST_TEST(out.failed());
    BOOST_TEST(!out.done.has_value());
}

BOOST_AUTO_TEST_CASE(text_while_attachments_are_due_is_a_violation_and_resets) {
    sio::attachment_reassembler r;
    r.feed(R"(52-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", false);
    r.feed("first", true);
    auto out = r.feed(R"(2["other"])", false);
    BOOST_TEST(out.failed());
    BOOST_TEST(!r.pending());
    // After the reset it starts clean: an attachment now is out of turn too.
    BOOST_TEST(r.feed("second", true).failed());
}

BOOST_AUTO_TEST_CASE(an_invalid_packet_is_a_violation_with_the_decoders_reason) {
    sio::attachment_reassembler r;
    auto out = r.feed("9nonsense", false);
    BOOST_TEST(out.failed());
    BOOST_TEST(!out.done.has_value());
}

BOOST_AUTO_TEST_CASE(reset_forgets_a_packet_half_received) {
    sio::attachment_reassembler r;
    r.feed(R"(51-["a",{"_placeholder":true,"num":0}])", false);
    BOOST_TEST(r.pending());
    r.reset();
    BOOST_TEST(!r.pending());
    auto out = r.feed(R"(2["fresh"])", false);
    BOOST_TEST(!out.failed());
    BOOST_TEST(out.done.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
