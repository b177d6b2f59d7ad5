#include "json_reading.hpp"

namespace gleitzeit::json_reading {

namespace json = boost::json;

std::string kind_of(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null:
        return "null";
    case json::kind::bool_:
        return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
        return "an integer";
    case json::kind::double_:
        return "a floating-point number";
    case json::kind::string:
        return "a string";
    case json::kind::array:
        return "an array";
    case json::kind::object:
        return "an object";
    }
    return "an unknown value";
}

std::optional<std::int64_t> integer_in(const json::value& v, std::int64_t lo, std::int64_t hi) {
    // Boost.JSON keeps only values above INT64_MAX as uint64: those exceed every bound here.
    if (v.is_int64() && v.get_int64() >= lo && v.get_int64() <= hi)
        return v.get_int64();
    return std::nullopt;
}

std::string integer_refusal(const json::value& v, std::int64_t lo, std::int64_t hi) {
    const std::string got = v.is_int64()    ? std::to_string(v.get_int64())
                            : v.is_uint64() ? std::to_string(v.get_uint64())
                                            : kind_of(v);
    return "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
           ", got " + got;
}

} // namespace gleitzeit::json_reading
