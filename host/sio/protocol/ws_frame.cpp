#include "sio/protocol/ws_frame.hpp"

#include <utility>

namespace gleitzeit::sio::ws {

parse_status parse_header(std::string_view data, std::uint64_t max_length, frame_header& out,
                          bool masked) {
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
    if (static_cast<bool>(b1 & 0x80) != masked)
        return parse_status::protocol_error; // a client masks every frame, a server none
    std::uint64_t len = b1 & 0x7f;
    std::size_t pos = 2;
    if (len == 126) {
        if (data.size() < 4)
            return parse_status::need_more;
        len = static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[2])) << 8 |
              static_cast<std::uint8_t>(data[3]);
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
    std::size_t key = masked ? 4 : 0;
    if (data.size() < pos + key)
        return parse_status::need_more;
    for (std::size_t i = 0; i < key; ++i)
        out.mask[i] = static_cast<std::uint8_t>(data[pos + i]);
    out.length = len;
    out.header_size = pos + key;
    return parse_status::complete;
}

void unmask(char* payload, std::size_t size, const std::uint8_t mask[4], std::size_t offset) {
    for (std::size_t i = 0; i < size; ++i)
        payload[i] =
            static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask[(offset + i) & 3]);
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

void append_masked_frame(std::string& out, opcode op, std::string_view payload,
                         std::uint32_t mask_key) {
    std::uint8_t header[14];
    auto n = write_header(header, op, payload.size());
    header[1] |= 0x80;
    std::uint8_t mask[4] = {
        static_cast<std::uint8_t>(mask_key >> 24), static_cast<std::uint8_t>(mask_key >> 16),
        static_cast<std::uint8_t>(mask_key >> 8), static_cast<std::uint8_t>(mask_key)};
    out.append(reinterpret_cast<const char*>(header), n);
    out.append(reinterpret_cast<const char*>(mask), 4);
    auto at = out.size();
    out.append(payload);
    unmask(out.data() + at, payload.size(), mask);
}

frame_reader::status frame_reader::feed(char* data, std::size_t size, listener& l) {
    stopped_ = false;
    std::size_t used = 0;
    status st;
    if (pending_.empty()) {
        st = parse(data, size, used, l);
        if (st == status::ok && !stopped_ && used < size)
            pending_.assign(data + used, size - used);
    } else {
        pending_.append(data, size);
        st = parse(pending_.data(), pending_.size(), used, l);
        pending_.erase(0, used);
        if (pending_.empty())
            std::string().swap(pending_); // an idle connection keeps no buffer
        else if (pending_.capacity() > 2 * pending_.size())
            // The rest of a frame keeps its own size, not that of the reads it came in with:
            // a connection paused mid-frame (its answers wait) would otherwise hold a read's
            // worth of buffer for a few bytes.
            pending_.shrink_to_fit();
    }
    return st;
}

void frame_reader::clear() {
    std::string().swap(pending_);
    std::string().swap(message_);
    message_op_ = opcode::continuation;
}

frame_reader::status frame_reader::parse(char* data, std::size_t size, std::size_t& pos,
                                         listener& l) {
    while (pos < size && !stopped_) {
        frame_header h;
        auto room = max_ > message_.size() ? max_ - message_.size() : 0;
        auto st = parse_header(std::string_view(data + pos, size - pos), room, h, masked_);
        if (st == parse_status::need_more)
            break;
        if (st == parse_status::protocol_error)
            return status::protocol_error;
        if (st == parse_status::too_big)
            return status::too_big;
        if (size - pos - h.header_size < h.length)
            break; // the payload is still on its way
        char* payload = data + pos + h.header_size;
        auto length = static_cast<std::size_t>(h.length);
        if (masked_)
            unmask(payload, length, h.mask);
        pos += h.header_size + length;
        std::string_view bytes(payload, length);
        switch (h.op) {
        case opcode::text:
        case opcode::binary:
            if (message_op_ != opcode::continuation)
                return status::protocol_error; // a new message inside a fragmented one
            if (h.fin) {
                stopped_ = !l.on_message(h.op, bytes);
            } else {
                message_op_ = h.op;
                message_.assign(bytes);
            }
            break;
        case opcode::continuation:
            if (message_op_ == opcode::continuation)
                return status::protocol_error;
            message_.append(bytes);
            if (h.fin) {
                auto op = std::exchange(message_op_, opcode::continuation);
                stopped_ = !l.on_message(op, message_);
                std::string().swap(message_);
            }
            break;
        default:
            stopped_ = !l.on_control(h.op, bytes);
        }
    }
    return status::ok;
}

} // namespace gleitzeit::sio::ws
