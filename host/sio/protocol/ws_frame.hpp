#pragma once
// WebSocket framing (RFC 6455 §5) for the server side: parse the masked frames a client
// sends, and write the headers of the unmasked frames the server sends. Pure, so that it
// can be unit-tested; the connection owns the bytes.
//
// Beast does the opening handshake; after it the server speaks frames itself, so that it
// can read many frames per system call into a buffer shared by all connections of a
// thread and send all queued frames of a connection with one gathered write.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gleitzeit::sio::ws {

enum class opcode : std::uint8_t {
    continuation = 0,
    text = 1,
    binary = 2,
    close = 8,
    ping = 9,
    pong = 10
};

struct frame_header {
    bool fin = false;
    opcode op = opcode::text;
    std::uint64_t length = 0;
    std::size_t header_size = 0; // bytes before the payload
    std::uint8_t mask[4]{};
};

enum class parse_status { complete, need_more, protocol_error, too_big };

/// Parses one frame header at the start of `data`. A complete result means the header
/// is there; the payload may still be incomplete (check `data.size()`). Frames from a
/// client are masked, frames from a server are not: `masked` says which side sent it.
parse_status parse_header(std::string_view data, std::uint64_t max_length, frame_header& out,
                          bool masked = true);

/// XORs `payload` with the frame's mask, in place. `offset` is the payload position of
/// payload[0], for unmasking in pieces.
void unmask(char* payload, std::size_t size, const std::uint8_t mask[4], std::size_t offset = 0);

/// Writes the header of an unmasked server frame into `out` (at most 10 bytes); returns
/// its size.
std::size_t write_header(std::uint8_t* out, opcode op, std::uint64_t length, bool fin = true);

/// Appends a whole masked client frame (header, mask key, masked payload) to `out`.
void append_masked_frame(std::string& out, opcode op, std::string_view payload,
                         std::uint32_t mask_key);

/// Turns the bytes of successive reads into messages and control frames: it keeps a frame
/// split across reads and a message split across frames, and nothing when idle.
class frame_reader {
public:
    enum class status { ok, protocol_error, too_big };

    class listener {
    public:
        virtual ~listener() = default;
        /// A whole text or binary message; returns false to stop reading.
        virtual bool on_message(opcode op, std::string_view payload) = 0;
        /// A ping, pong or close frame; returns false to stop reading.
        virtual bool on_control(opcode op, std::string_view payload) = 0;
    };

    frame_reader(bool masked, std::uint64_t max_message) : masked_(masked), max_(max_message) {}

    /// Consumes `size` bytes at `data` (which it may modify: frames are unmasked in place).
    status feed(char* data, std::size_t size, listener& l);

    /// Drops the frame and message under way, and their buffers: the connection reads no
    /// more frames. Not from inside feed().
    void clear();

private:
    status parse(char* data, std::size_t size, std::size_t& used, listener& l);

    bool masked_;
    std::uint64_t max_;
    bool stopped_ = false;
    std::string pending_;
    std::string message_;
    opcode message_op_ = opcode::continuation; // continuation: no message under way
};

} // namespace gleitzeit::sio::ws
