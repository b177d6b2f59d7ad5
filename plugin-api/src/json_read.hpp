#pragma once
// Typed reads out of JSON documents whose errors name the field's path, e.g.
// "workflow.tasks[2].retry.jitter: expected a number, got string", so that whoever sent a bad
// payload can find the field. The path is a chain of stack objects and becomes a string only
// when an error is thrown: a read that succeeds allocates nothing for it.
//
// Private to libgleitzeit-plugin-api (hidden visibility, not installed).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace gleitzeit::json_read {
#pragma GCC visibility push(hidden)

/// Where a value sits: object keys and array indexes up to the root, whose key names the type
/// being read ("task").
class path {
public:
    explicit path(std::string_view root) noexcept : key_(root) {}
    path(const path& parent, std::string_view key) noexcept : parent_(&parent), key_(key) {}
    path(const path& parent, std::size_t index) noexcept : parent_(&parent), index_(index) {}

    std::string str() const;

private:
    static constexpr std::size_t no_index = std::numeric_limits<std::size_t>::max();

    const path* parent_ = nullptr;
    std::string_view key_;
    std::size_t index_ = no_index;
};

/// Throws gleitzeit::error(invalid_argument, "<path>: <problem>").
[[noreturn]] void fail(const path& at, std::string_view problem);

/// "string", "integer", "number", "boolean", "null", "object" or "array".
std::string_view kind_name(const boost::json::value& v) noexcept;

/// `s` in single quotes, cut short if long: a message must not grow with a hostile payload.
std::string quote(std::string_view s);

const boost::json::object& as_object(const boost::json::value& v, const path& at);
const boost::json::array& as_array(const boost::json::value& v, const path& at);
std::string_view as_string(const boost::json::value& v, const path& at);
bool as_bool(const boost::json::value& v, const path& at);
/// An integer in [min, max]. A double with an integral value counts as an integer, because some
/// JSON encoders (Python's for a float) write 30000 as 30000.0.
std::int64_t as_integer(const boost::json::value& v, const path& at, std::int64_t min,
                        std::int64_t max = std::numeric_limits<std::int64_t>::max());
/// A number (integer or not) in [min, max].
double as_number(const boost::json::value& v, const path& at, double min, double max);

/// The field `key` of `o`; throws "<at>.<key>: required field is missing" when absent.
const boost::json::value& required(const boost::json::object& o, std::string_view key,
                                   const path& at);

#pragma GCC visibility pop
} // namespace gleitzeit::json_read
