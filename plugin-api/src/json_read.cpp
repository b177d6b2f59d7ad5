#include "json_read.hpp"

#include "gleitzeit/error.hpp"

#include <charconv>
#include <cmath>

namespace gleitzeit::json_read {

namespace json = boost::json;

std::string path::str() const {
    std::string s = parent_ ? parent_->str() : std::string();
    if (index_ != no_index) {
        s += '[';
        s += std::to_string(index_);
        s += ']';
    } else {
        if (parent_)
            s += '.';
        s += key_;
    }
    return s;
}

void fail(const path& at, std::string_view problem) {
    std::string message = at.str();
    message += ": ";
    message += problem;
    throw error(error_code::invalid_argument, message);
}

std::string_view kind_name(const json::value& v) noexcept {
    switch (v.kind()) {
    case json::kind::null:
        return "null";
    case json::kind::bool_:
        return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
        return "integer";
    case json::kind::double_:
        return "number";
    case json::kind::string:
        return "string";
    case json::kind::array:
        return "array";
    case json::kind::object:
        return "object";
    }
    return "unknown";
}

std::string quote(std::string_view s) {
    constexpr std::size_t longest = 64;
    std::string q = "'";
    if (s.size() > longest) {
        // Cut before a UTF-8 continuation byte, never inside a character: the message goes
        // back to the sender as JSON, which must stay valid UTF-8.
        std::size_t cut = longest;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
            --cut;
        q += s.substr(0, cut);
        q += "...";
    } else {
        q += s;
    }
    q += '\'';
    return q;
}

namespace {

[[noreturn]] void expected(const path& at, std::string_view what, const json::value& got) {
    std::string problem = "expected ";
    problem += what;
    problem += ", got ";
    problem += kind_name(got);
    fail(at, problem);
}

std::string number_text(double d) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

std::string integer_range(std::int64_t min, std::int64_t max) {
    if (max == std::numeric_limits<std::int64_t>::max())
        return "an integer >= " + std::to_string(min);
    return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

[[noreturn]] void out_of_range(const path& at, const std::string& wanted, const std::string& got) {
    fail(at, "expected " + wanted + ", got " + got);
}

} // namespace

const json::object& as_object(const json::value& v, const path& at) {
    if (const json::object* o = v.if_object())
        return *o;
    expected(at, "an object", v);
}

const json::array& as_array(const json::value& v, const path& at) {
    if (const json::array* a = v.if_array())
        return *a;
    expected(at, "an array", v);
}

std::string_view as_string(const json::value& v, const path& at) {
    if (const json::string* s = v.if_string())
        return *s;
    expected(at, "a string", v);
}

bool as_bool(const json::value& v, const path& at) {
    if (const bool* b = v.if_bool())
        return *b;
    expected(at, "a boolean", v);
}

std::int64_t as_integer(const json::value& v, const path& at, std::int64_t min, std::int64_t max) {
    switch (v.kind()) {
    case json::kind::int64: {
        std::int64_t i = v.get_int64();
        if (i < min || i > max)
            out_of_range(at, integer_range(min, max), std::to_string(i));
        return i;
    }
    case json::kind::uint64: {
        std::uint64_t u = v.get_uint64();
        if (max < 0 || u > static_cast<std::uint64_t>(max) || static_cast<std::int64_t>(u) < min)
            out_of_range(at, integer_range(min, max), std::to_string(u));
        return static_cast<std::int64_t>(u);
    }
    case json::kind::double_: {
        double d = v.get_double();
        // 2^63 itself is not representable as int64, hence >= on the upper bound.
        if (std::trunc(d) != d)
            expected(at, "an integer", v);
        if (d < static_cast<double>(min) || d >= 9223372036854775808.0 ||
            static_cast<std::int64_t>(d) > max)
            out_of_range(at, integer_range(min, max), number_text(d));
        return static_cast<std::int64_t>(d);
    }
    default:
        expected(at, "an integer", v);
    }
}

double as_number(const json::value& v, const path& at, double min, double max) {
    double d = 0;
    switch (v.kind()) {
    case json::kind::int64:
        d = static_cast<double>(v.get_int64());
        break;
    case json::kind::uint64:
        d = static_cast<double>(v.get_uint64());
        break;
    case json::kind::double_:
        d = v.get_double();
        break;
    default:
        expected(at, "a number", v);
    }
    if (!(d >= min && d <= max)) {
        std::string wanted = max == std::numeric_limits<double>::infinity()
                                 ? "a number >= " + number_text(min)
                                 : "a number from " + number_text(min) + " to " + number_text(max);
        out_of_range(at, wanted, number_text(d));
    }
    return d;
}

const json::value& required(const json::object& o, std::string_view key, const path& at) {
    if (const json::value* f = o.if_contains(key))
        return *f;
    fail(path(at, key), "required field is missing");
}

} // namespace gleitzeit::json_read
