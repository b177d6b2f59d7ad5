#include "sio/protocol/engine_packet.hpp"

#include <array>
#include <cstdint>

namespace gleitzeit::sio::engine {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse() {
    std::array<std::int8_t, 256> table{};
    for (auto& v : table)
        v = -1;
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}
constexpr auto reverse = make_reverse();

bool is_known_type(char c) {
    return c >= '0' && c <= '6';
}

} // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += alphabet[n >> 18 & 63];
        out += alphabet[n >> 12 & 63];
        out += alphabet[n >> 6 & 63];
        out += alphabet[n & 63];
    }
    if (bytes.size() - i == 1) {
        std::uint32_t n = byte(i) << 16;
        out += alphabet[n >> 18 & 63];
        out += alphabet[n >> 12 & 63];
        out += "==";
    } else if (bytes.size() - i == 2) {
        std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8;
        out += alphabet[n >> 18 & 63];
        out += alphabet[n >> 12 & 63];
        out += alphabet[n >> 6 & 63];
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::uint32_t n = 0;
        int pad = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            char c = text[i + k];
            if (c == '=') {
                // Padding only at the very end, and at most two characters of it.
                if (i + 4 != text.size() || k < 2)
                    return std::nullopt;
                ++pad;
                n <<= 6;
                continue;
            }
            if (pad)
                return std::nullopt;
            auto v = reverse[static_cast<unsigned char>(c)];
            if (v < 0)
                return std::nullopt;
            n = n << 6 | static_cast<std::uint32_t>(v);
        }
        out += static_cast<char>(n >> 16 & 0xff);
        if (pad < 2)
            out += static_cast<char>(n >> 8 & 0xff);
        if (pad < 1)
            out += static_cast<char>(n & 0xff);
    }
    return out;
}

std::optional<packet> decode_text(std::string_view text) {
    if (text.empty() || !is_known_type(text[0]))
        return std::nullopt;
    packet p;
    p.type = static_cast<packet_type>(text[0]);
    p.text = text.substr(1);
    return p;
}

std::optional<std::vector<packet>> decode_payload(std::string_view payload) {
    std::vector<packet> packets;
    std::size_t start = 0;
    while (start <= payload.size()) {
        auto end = payload.find(record_separator, start);
        if (end == std::string_view::npos)
            end = payload.size();
        auto part = payload.substr(start, end - start);
        if (!part.empty() && part[0] == 'b') {
            auto bytes = base64_decode(part.substr(1));
            if (!bytes)
                return std::nullopt;
            packet p;
            p.binary = true;
            p.decoded = std::move(*bytes);
            p.from_base64 = true;
            packets.push_back(std::move(p));
        } else {
            auto p = decode_text(part);
            if (!p)
                return std::nullopt;
            packets.push_back(*p);
        }
        start = end + 1;
    }
    return packets;
}

void append_to_payload(std::string& payload, char type, std::string_view data, bool binary) {
    if (!payload.empty())
        payload += record_separator;
    if (binary) {
        payload += 'b';
        payload += base64_encode(data);
    } else {
        payload += type;
        payload += data;
    }
}

} // namespace gleitzeit::sio::engine
