// The WebSocket frame reader (host/sio/protocol/ws_frame.hpp): the bytes a client sends after
// the opening handshake, as they come out of read(2), in pieces of any size.
//
// The first byte of the input chooses the reader's side (bit 0: a server reading masked
// client frames, or a client reading unmasked ones), its message limit (bits 1-3) and how
// the rest is cut into reads (bits 4-7); the rest is the stream.
//
// Invariants:
// - the reader reports the same messages, control frames and end status whether the stream
//   comes in one read or in pieces;
// - a message is text or binary and within the limit, a control frame is close, ping or pong
//   with at most 125 bytes;
// - the messages and control frames, written again as frames (append_masked_frame, or
//   write_header for the server's side), read back to the same;
// - parse_header's header size fits the bytes it was given and one of the sizes RFC 6455
//   allows.

#include "sio/protocol/ws_frame.hpp"

#include "fuzz_check.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ws = gleitzeit::sio::ws;

struct event {
    bool control;
    ws::opcode op;
    std::string payload;
    bool operator==(const event&) const = default;
};

struct recorder : ws::frame_reader::listener {
    std::vector<event> events;
    bool on_message(ws::opcode op, std::string_view payload) override {
        events.push_back({false, op, std::string(payload)});
        return true;
    }
    bool on_control(ws::opcode op, std::string_view payload) override {
        events.push_back({true, op, std::string(payload)});
        return true;
    }
};

struct outcome {
    std::vector<event> events;
    ws::frame_reader::status status = ws::frame_reader::status::ok;
};

/// Reads `stream` in pieces of `piece` bytes (0: in one read), until the first error.
outcome read_stream(std::string stream, bool masked, std::uint64_t limit, std::size_t piece) {
    ws::frame_reader reader(masked, limit);
    recorder r;
    outcome out;
    std::size_t at = 0;
    do {
        std::size_t n = piece == 0 ? stream.size() - at : std::min(piece, stream.size() - at);
        // Each read gets a buffer of its own: the reader unmasks in place, and keeps the
        // bytes of an unfinished frame itself.
        std::string read(stream, at, n);
        out.status = reader.feed(read.data(), read.size(), r);
        at += n;
    } while (out.status == ws::frame_reader::status::ok && at < stream.size());
    out.events = std::move(r.events);
    return out;
}

void check_events(const std::vector<event>& events, std::uint64_t limit) {
    for (const auto& e : events) {
        if (e.control) {
            FUZZ_CHECK(e.op == ws::opcode::close || e.op == ws::opcode::ping ||
                       e.op == ws::opcode::pong);
            FUZZ_CHECK(e.payload.size() <= 125);
        } else {
            FUZZ_CHECK(e.op == ws::opcode::text || e.op == ws::opcode::binary);
            FUZZ_CHECK(e.payload.size() <= limit);
        }
    }
}

/// The events written as frames by the side that would send them.
std::string frames_of(const std::vector<event>& events, bool masked) {
    std::string out;
    for (const auto& e : events) {
        if (masked) {
            ws::append_masked_frame(out, e.op, e.payload, 0x9e3779b9);
            continue;
        }
        std::uint8_t header[10];
        auto n = ws::write_header(header, e.op, e.payload.size());
        out.append(reinterpret_cast<const char*>(header), n);
        out.append(e.payload);
    }
    return out;
}

void check_header(std::string_view stream, bool masked, std::uint64_t limit) {
    ws::frame_header h;
    if (ws::parse_header(stream, limit, h, masked) != ws::parse_status::complete)
        return;
    FUZZ_CHECK(h.header_size <= stream.size());
    std::size_t key = masked ? 4 : 0;
    FUZZ_CHECK(h.header_size == 2 + key || h.header_size == 4 + key || h.header_size == 10 + key);
    bool control = static_cast<std::uint8_t>(h.op) >= 8;
    FUZZ_CHECK(control ? h.length <= 125 && h.fin : h.length <= limit);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const bool masked = (data[0] & 1) != 0;
    // Limits from 0 to 64 KiB, so that "too big" is reached by small inputs as well.
    const std::uint64_t limits[] = {0, 1, 7, 125, 126, 1000, 65535, 65536};
    const std::uint64_t limit = limits[(data[0] >> 1) & 7];
    const std::size_t piece = data[0] >> 4; // 0: one read
    std::string stream(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        check_header(stream, masked, limit);
        auto whole = read_stream(stream, masked, limit, 0);
        check_events(whole.events, limit);
        if (piece != 0) {
            auto pieces = read_stream(stream, masked, limit, piece);
            FUZZ_CHECK(pieces.status == whole.status);
            FUZZ_CHECK(pieces.events == whole.events);
        }
        auto again = read_stream(frames_of(whole.events, masked), masked, limit, 0);
        FUZZ_CHECK(again.status == ws::frame_reader::status::ok);
        FUZZ_CHECK(again.events == whole.events);
    } catch (...) {
        gleitzeit::fuzz::escaped("the WebSocket frame reader");
    }
    return 0;
}
