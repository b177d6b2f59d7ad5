// Engine.IO's packet and payload decoders (host/sio/protocol/engine_packet.hpp): what a client
// sends in an HTTP long-polling POST body and in each WebSocket text frame.
//
// Invariants:
// - decode_text and decode_payload refuse with nullopt only; they never throw;
// - a decoded text packet is the type digit and the rest of the input, as a view into it;
// - a payload re-encoded with append_to_payload decodes to the same packets (binary ones
//   compared by their bytes), and text-only payloads re-encode to the same bytes;
// - base64_decode(base64_encode(x)) == x for any bytes, and the encoding is canonical:
//   whatever base64_decode accepts and base64_encode writes back decodes alike.

#include "sio/protocol/engine_packet.hpp"

#include "fuzz_check.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace engine = gleitzeit::sio::engine;

void check_text(std::string_view input) {
    auto p = engine::decode_text(input);
    bool known = !input.empty() && input[0] >= '0' && input[0] <= '6';
    FUZZ_CHECK(p.has_value() == known);
    if (!p)
        return;
    FUZZ_CHECK(static_cast<char>(p->type) == input[0]);
    FUZZ_CHECK(!p->binary && !p->from_base64);
    FUZZ_CHECK(p->data() == input.substr(1));
    FUZZ_CHECK(p->data().data() == input.data() + 1); // a view, no copy on the hot path
}

void check_payload(std::string_view input) {
    auto packets = engine::decode_payload(input);
    if (!packets)
        return;
    FUZZ_CHECK(!packets->empty());
    std::string again;
    bool all_text = true;
    for (const auto& p : *packets) {
        FUZZ_CHECK(p.binary == p.from_base64);
        all_text = all_text && !p.binary;
        engine::append_to_payload(again, static_cast<char>(p.type), p.data(), p.binary);
    }
    auto decoded = engine::decode_payload(again);
    FUZZ_CHECK(decoded.has_value());
    FUZZ_CHECK(decoded->size() == packets->size());
    for (std::size_t i = 0; i < packets->size(); ++i) {
        const auto &a = (*packets)[i], &b = (*decoded)[i];
        FUZZ_CHECK(a.binary == b.binary);
        FUZZ_CHECK(a.binary || a.type == b.type);
        FUZZ_CHECK(a.data() == b.data());
    }
    if (all_text)
        FUZZ_CHECK(again == input);
}

void check_base64(std::string_view input) {
    auto encoded = engine::base64_encode(input);
    FUZZ_CHECK(encoded.size() == (input.size() + 2) / 3 * 4);
    auto decoded = engine::base64_decode(encoded);
    FUZZ_CHECK(decoded.has_value() && *decoded == input);

    // The input read as base64: what is accepted must survive a trip through the encoder.
    if (auto bytes = engine::base64_decode(input)) {
        FUZZ_CHECK(bytes->size() <= input.size() / 4 * 3);
        auto back = engine::base64_decode(engine::base64_encode(*bytes));
        FUZZ_CHECK(back.has_value() && *back == *bytes);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        check_text(input);
        check_payload(input);
        check_base64(input);
    } catch (...) {
        gleitzeit::fuzz::escaped("the Engine.IO codec");
    }
    return 0;
}
