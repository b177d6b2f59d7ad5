#include "sio/protocol/packet.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

namespace gleitzeit::sio {
namespace json = boost::json;

namespace {

// A packet may announce at most this many attachments; more is an attack, not a use.
constexpr std::size_t max_attachments = 10'000;

bool is_binary(packet_type t) {
    return t == packet_type::binary_event || t == packet_type::binary_ack;
}

void append_header(std::string& out, packet_type type, std::size_t attachments,
                   std::string_view nsp, std::optional<std::uint64_t> id) {
    out += static_cast<char>(type);
    if (is_binary(type)) {
        out += std::to_string(attachments);
        out += '-';
    }
    if (nsp != "/") {
        out += nsp;
        out += ',';
    }
    if (id)
        out += std::to_string(*id);
}

/// Serializes straight into `out`: no string per value on the way.
template <class T> void append_json(std::string& out, json::serializer& sr, const T& v) {
    if constexpr (std::is_same_v<T, json::string_view>)
        sr.reset(v);
    else
        sr.reset(&v);
    while (!sr.done()) {
        auto at = out.size();
        auto room = std::max<std::size_t>(256, out.capacity() - at);
        out.resize(at + room);
        auto written = sr.read(out.data() + at, room);
        out.resize(at + written.size());
    }
}

bool valid_data(packet_type type, const json::value& data, bool present) {
    switch (type) {
    case packet_type::connect:
        return !present || data.is_object();
    case packet_type::disconnect:
        return !present;
    case packet_type::connect_error:
        return present && (data.is_object() || data.is_string());
    case packet_type::event:
    case packet_type::binary_event:
        return present && data.is_array() && !data.get_array().empty() &&
               data.get_array()[0].is_string();
    case packet_type::ack:
    case packet_type::binary_ack:
        return present && data.is_array();
    }
    return false;
}

/// JSON numbers beyond a double's range parse as infinity, which has no JSON form. Like
/// JavaScript's JSON.parse + JSON.stringify, they become null, so that what is echoed back
/// is still JSON.
void replace_non_finite(json::value& v) {
    if (auto* d = v.if_double()) {
        if (!std::isfinite(*d))
            v = nullptr;
    } else if (auto* a = v.if_array()) {
        for (auto& e : *a)
            replace_non_finite(e);
    } else if (auto* o = v.if_object()) {
        for (auto& kv : *o)
            replace_non_finite(kv.value());
    }
}

/// Only an exponent or a long run of digits can overflow a double: the largest finite one,
/// about 1.8e308, has 309 digits before the point, and Boost.JSON reads an integer beyond 64
/// bits as a double, so 309 digits or more in a row may be infinite. Most packets have
/// neither, and skip the walk.
bool may_hold_huge_number(std::string_view text) {
    constexpr std::size_t max_digits = std::numeric_limits<double>::max_exponent10 + 1;
    std::size_t run = 0; // digits in a row up to here
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (!digit && run > 0 && (text[i] == 'e' || text[i] == 'E'))
            return true;
        run = digit ? run + 1 : 0;
        if (run >= max_digits)
            return true;
    }
    return false;
}

} // namespace

json::value placeholder(std::size_t num) {
    return json::object{{"_placeholder", true}, {"num", num}};
}

std::optional<std::size_t> placeholder_index(const json::value& v) {
    const auto* o = v.if_object();
    if (!o || o->size() != 2)
        return std::nullopt;
    const auto* flag = o->if_contains("_placeholder");
    const auto* num = o->if_contains("num");
    if (!flag || !num || !flag->is_bool() || !flag->get_bool())
        return std::nullopt;
    if (num->is_uint64())
        return static_cast<std::size_t>(num->get_uint64());
    if (num->is_int64() && num->get_int64() >= 0)
        return static_cast<std::size_t>(num->get_int64());
    return std::nullopt;
}

bool placeholders_valid(const json::value& v, std::size_t count) {
    if (const auto* o = v.if_object()) {
        if (o->contains("_placeholder")) {
            auto idx = placeholder_index(v);
            return idx && *idx < count;
        }
        for (const auto& kv : *o)
            if (!placeholders_valid(kv.value(), count))
                return false;
        return true;
    }
    if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            if (!placeholders_valid(e, count))
                return false;
    }
    return true;
}

std::string encode(const packet& p) {
    std::string out;
    append_header(out, p.type, p.attachments, p.nsp, p.id);
    if (!p.data.is_null())
        out += json::serialize(p.data);
    return out;
}

std::string encode_event(std::string_view nsp, std::string_view event, const message& m,
                         std::optional<std::uint64_t> id, std::string_view prefix) {
    std::string out;
    out.reserve(prefix.size() + 32 + nsp.size() + event.size() + 16 * m.args.size());
    out += prefix;
    auto type = m.attachments.empty() ? packet_type::event : packet_type::binary_event;
    append_header(out, type, m.attachments.size(), nsp, id);
    json::serializer sr;
    out += '[';
    json::string_view name(event.data(), event.size());
    append_json(out, sr, name);
    for (const auto& a : m.args) {
        out += ',';
        append_json(out, sr, a);
    }
    out += ']';
    return out;
}

std::string encode_ack(std::string_view nsp, std::uint64_t id, const message& m,
                       std::string_view prefix) {
    std::string out;
    out.reserve(prefix.size() + 32 + nsp.size() + 16 * m.args.size());
    out += prefix;
    auto type = m.attachments.empty() ? packet_type::ack : packet_type::binary_ack;
    append_header(out, type, m.attachments.size(), nsp, id);
    json::serializer sr;
    append_json(out, sr, m.args);
    return out;
}

namespace {

// Reads the digits at text[i...] into `out` and moves `i` past them; false when there are
// none or they overflow.
bool parse_number(std::string_view text, std::size_t& i, std::uint64_t& out) {
    auto begin = text.data() + i;
    auto end = text.data() + text.size();
    auto* stop = begin;
    while (stop != end && *stop >= '0' && *stop <= '9')
        ++stop;
    if (stop == begin)
        return false;
    auto [ptr, ec] = std::from_chars(begin, stop, out);
    if (ec != std::errc{})
        return false;
    i += static_cast<std::size_t>(ptr - begin);
    return true;
}

// The header after the type digit: attachment count, namespace, ack id. Returns why it is
// invalid, or empty; leaves `i` where the JSON data starts.
std::string parse_header(std::string_view text, std::size_t& i, packet& p) {
    if (is_binary(p.type)) {
        std::uint64_t n = 0;
        if (!parse_number(text, i, n) || i >= text.size() || text[i] != '-')
            return "binary packet without a valid attachment count";
        ++i;
        if (n > max_attachments)
            return "too many attachments";
        p.attachments = static_cast<std::size_t>(n);
    }
    if (i < text.size() && text[i] == '/') {
        auto comma = text.find(',', i);
        auto end = comma == std::string_view::npos ? text.size() : comma;
        p.nsp = std::string(text.substr(i, end - i));
        i = comma == std::string_view::npos ? text.size() : comma + 1;
    }
    if (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        std::uint64_t id = 0;
        if (!parse_number(text, i, id))
            return "ack id out of range";
        p.id = id;
    }
    return {};
}

// Why a decoded packet does not fit its type, or empty when it does.
std::string shape_error(const packet& p, bool data_present) {
    if (!valid_data(p.type, p.data, data_present))
        return "payload does not fit the packet type";
    if (is_binary(p.type) && !placeholders_valid(p.data, p.attachments))
        return "placeholder refers to a missing attachment";
    if (!p.id && (p.type == packet_type::ack || p.type == packet_type::binary_ack))
        return "ack without an id";
    if (p.id && (p.type == packet_type::connect || p.type == packet_type::disconnect ||
                 p.type == packet_type::connect_error))
        return "ack id on a packet type that has none";
    return {};
}

} // namespace

decode_result decode(std::string_view text) {
    decode_result r;
    if (text.empty()) {
        r.error = "empty packet";
        return r;
    }
    if (text[0] < '0' || text[0] > '6') {
        r.error = "unknown packet type";
        return r;
    }
    packet p;
    p.type = static_cast<packet_type>(text[0]);
    std::size_t i = 1;
    if (r.error = parse_header(text, i, p); !r.error.empty())
        return r;
    bool present = i < text.size();
    if (present) {
        boost::system::error_code ec;
        json::parse_options options;
        options.max_depth = max_json_depth;
        p.data = json::parse(text.substr(i), ec, {}, options);
        if (ec) {
            r.error = "invalid JSON: " + ec.message();
            return r;
        }
        if (may_hold_huge_number(text.substr(i)))
            replace_non_finite(p.data);
    }
    if (r.error = shape_error(p, present); !r.error.empty())
        return r;
    r.value = std::move(p);
    return r;
}

} // namespace gleitzeit::sio
