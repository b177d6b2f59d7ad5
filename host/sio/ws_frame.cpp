#include "sio/ws_frame.hpp"

namespace gleitzeit::sio::ws {

parse_status parse_header(std::string_view data, std::uint64_t max_length, frame_header& out) {
    if (data.size() < 2)
        return parse_status::need_more;
    auto b0 = static_cast<std::uint8_t>(data[0]);
    auto b1 = static_cast<std::uint8_t>(data[1]);
    if (b0 & 0x70)
        return parse_status::protocol_error; // no extension was negotiated, so RSV bits are 0
    out.fin = (b0 & 0x80) != 0;
    auto op = b0 & 0x0f;
    if (op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10)
        return parse_status::protocol_error;
    out.op = static_cast<opcode>(op);
    if (!(b1 & 0x80))
        return parse_status::protocol_error; // a client must mask every frame
    std::uint64_t len = b1 & 0x7f;
    std::size_t pos = 2;
    if (len == 126) {
        if (data.size() < 4)
            return parse_status::need_more;
        len = static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[2])) << 8 | static_cast<std::uint8_t>(data[3]);
        if (len < 126)
            return parse_status::protocol_error; // not the minimal encoding
        pos = 4;
    } else if (len == 127) {
        if (data.size() < 10)
            return parse_status::need_more;
        len = 0;
        for (int i = 0; i < 8; ++i)
            len = len << 8 | static_cast<std::uint8_t>(data[2 + i]);
        if (len >> 63 || len < 65536)
            return parse_status::protocol_error;
        pos = 10;
    }
    bool control = op >= 8;
    if (control && (!out.fin || len > 125))
        return parse_status::protocol_error;
    if (!control && len > max_length)
        return parse_status::too_big;
    if (data.size() < pos + 4)
        return parse_status::need_more;
    for (int i = 0; i < 4; ++i)
        out.mask[i] = static_cast<std::uint8_t>(data[pos + i]);
    out.length = len;
    out.header_size = pos + 4;
    return parse_status::complete;
}

void unmask(char* payload, std::size_t size, const std::uint8_t mask[4], std::size_t offset) {
    for (std::size_t i = 0; i < size; ++i)
        payload[i] = static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask[(offset + i) & 3]);
}

std::size_t write_header(std::uint8_t* out, opcode op, std::uint64_t length, bool fin) {
    out[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(op));
    if (length < 126) {
        out[1] = static_cast<std::uint8_t>(length);
        return 2;
    }
    if (length < 65536) {
        out[1] = 126;
        out[2] = static_cast<std::uint8_t>(length >> 8);
        out[3] = static_cast<std::uint8_t>(length);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i)
        out[2 + i] = static_cast<std::uint8_t>(length >> (8 * (7 - i)));
    return 10;
}

} // namespace gleitzeit::sio::ws
