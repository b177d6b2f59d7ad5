#include "gleitzeit/json_text.hpp"

#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace gleitzeit {

namespace json = boost::json;

void append_json_text(std::string& out, const json::value& v) {
    switch (v.kind()) {
    case json::kind::double_: {
        const double d = v.get_double();
        std::array<char, 32> buffer;
        const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), d);
        // JSON has no inf or nan: those, and any failure, go the serializer's way.
        if (ec == std::errc() && std::isfinite(d))
            out.append(buffer.data(), end);
        else
            out += json::serialize(v);
        return;
    }
    case json::kind::array: {
        out += '[';
        bool first = true;
        for (const auto& e : v.get_array()) {
            if (!std::exchange(first, false))
                out += ',';
            append_json_text(out, e);
        }
        out += ']';
        return;
    }
    case json::kind::object: {
        out += '{';
        bool first = true;
        for (const auto& kv : v.get_object()) {
            if (!std::exchange(first, false))
                out += ',';
            out += json::serialize(kv.key()); // quoted and escaped
            out += ':';
            append_json_text(out, kv.value());
        }
        out += '}';
        return;
    }
    default:
        out += json::serialize(v);
    }
}

std::string json_text(const json::value& v) {
    std::string out;
    append_json_text(out, v);
    return out;
}

} // namespace gleitzeit
