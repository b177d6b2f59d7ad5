// The Socket.IO packet decoder with binary attachments (host/sio/protocol/packet.hpp,
// attachment_reassembler.hpp): what every Engine.IO message a client sends goes through.
//
// The whole input is decoded as one packet; then it is split at the record separator 0x1e,
// as a long-polling payload is, into messages fed to an attachment_reassembler: a part that
// starts with 'b' is a binary message (its other bytes), any other part a text one.
//
// Invariants:
// - decode returns a packet or a reason, never both, never neither, and never throws;
// - a decoded packet fits its type, its placeholders name attachments it announced, and its
//   data holds no number JSON cannot write (inf, nan);
// - encode(p) decodes to p again, and encode_event / encode_ack write what encode writes;
// - the reassembler hands out a packet only with every attachment it announced, reports a
//   violation with a reason, and is empty after either.

#include "sio/protocol/attachment_reassembler.hpp"
#include "sio/protocol/packet.hpp"

#include "fuzz_check.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace sio = gleitzeit::sio;
namespace json = boost::json;
using gleitzeit::fuzz::same_json;

bool finite_numbers(const json::value& v) {
    if (const auto* d = v.if_double())
        return std::isfinite(*d);
    if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            if (!finite_numbers(e))
                return false;
    } else if (const auto* o = v.if_object()) {
        for (const auto& kv : *o)
            if (!finite_numbers(kv.value()))
                return false;
    }
    return true;
}

bool is_binary(sio::packet_type t) {
    return t == sio::packet_type::binary_event || t == sio::packet_type::binary_ack;
}

/// The other encoders of an event or an ack must write what encode() writes.
void check_encoders_agree(const sio::packet& p, const std::string& encoded) {
    bool binary = p.attachments > 0;
    if (is_binary(p.type) != binary)
        return; // "50-[...]": encode_event would choose EVENT for no attachments
    sio::message m;
    m.attachments.resize(p.attachments);
    const auto& args = p.data.get_array();
    if (p.type == sio::packet_type::event || p.type == sio::packet_type::binary_event) {
        m.args = json::array(args.begin() + 1, args.end());
        const auto& name = args[0].get_string();
        auto text = sio::encode_event(p.nsp, {name.data(), name.size()}, m, p.id, "4");
        FUZZ_CHECK(text == "4" + encoded);
    } else if (p.type == sio::packet_type::ack || p.type == sio::packet_type::binary_ack) {
        m.args = args;
        FUZZ_CHECK(sio::encode_ack(p.nsp, *p.id, m, "4") == "4" + encoded);
    }
}

void check_packet(const sio::packet& p) {
    FUZZ_CHECK(!p.nsp.empty() && p.nsp[0] == '/');
    FUZZ_CHECK(is_binary(p.type) || p.attachments == 0);
    FUZZ_CHECK(finite_numbers(p.data));
    FUZZ_CHECK(!is_binary(p.type) || sio::placeholders_valid(p.data, p.attachments));

    auto encoded = sio::encode(p);
    auto again = sio::decode(encoded);
    FUZZ_CHECK(again.value.has_value());
    const auto& q = *again.value;
    FUZZ_CHECK(q.type == p.type && q.nsp == p.nsp && q.id == p.id);
    FUZZ_CHECK(q.attachments == p.attachments);
    FUZZ_CHECK(same_json(q.data, p.data));
    check_encoders_agree(p, encoded);
}

void check_decode(std::string_view input) {
    auto r = sio::decode(input);
    FUZZ_CHECK(r.value.has_value() != !r.error.empty());
    if (r.value)
        check_packet(*r.value);
}

void check_reassembly(std::string_view input) {
    sio::attachment_reassembler reassembler;
    std::size_t announced = 0; // attachments the pending packet announced
    std::size_t received = 0;
    while (true) {
        auto end = input.find('\x1e');
        auto part = input.substr(0, end);
        bool binary = !part.empty() && part[0] == 'b';
        if (binary)
            part.remove_prefix(1);
        else if (!reassembler.pending())
            if (auto d = sio::decode(part); d.value)
                announced = d.value->attachments, received = 0;
        auto r = reassembler.feed(part, binary);
        if (binary && !r.failed())
            ++received;
        if (r.failed() || r.done)
            FUZZ_CHECK(!reassembler.pending());
        FUZZ_CHECK(!(r.failed() && r.done));
        if (r.done) {
            FUZZ_CHECK(r.done->attachments.size() == r.done->value.attachments);
            FUZZ_CHECK(r.done->attachments.size() == announced && received == announced);
            check_packet(r.done->value);
        }
        if (end == std::string_view::npos)
            break;
        input.remove_prefix(end + 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        check_decode(input);
        check_reassembly(input);
    } catch (...) {
        gleitzeit::fuzz::escaped("the Socket.IO codec");
    }
    return 0;
}
