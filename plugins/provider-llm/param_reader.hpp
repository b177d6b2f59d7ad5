#pragma once
// Reads one call's params with the checks llm/v1's schemas declare, remembering which keys it
// read so that finish() can refuse the rest: a misspelt "temprature" would otherwise be
// ignored and the call would run as if it had not been given.
//
// Refusals are gleitzeit::error(invalid_argument, "<method>: params.<name> <why>").

#include "llm_request.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::provider_llm_detail {

class param_reader {
public:
    param_reader(std::string_view method, const boost::json::object& params)
        : method_(method), params_(params) {}

    bool has(std::string_view name) const { return params_.contains(name); }

    std::optional<std::string> string(std::string_view name);
    std::string required_string(std::string_view name);
    std::optional<double> number(std::string_view name, double lo, double hi);
    std::optional<std::int64_t>
    integer(std::string_view name, std::int64_t lo = std::numeric_limits<std::int64_t>::min());
    /// An array of strings; empty when absent.
    std::vector<std::string> strings(std::string_view name);
    std::optional<boost::json::object> object(std::string_view name);
    const boost::json::array& required_array(std::string_view name);
    /// Element `index` of messages: {role, content, images?}.
    chat_message message(const boost::json::value& v, std::size_t index) const;

    [[noreturn]] void refuse(std::string_view name, const std::string& why) const;
    /// Refuses the first key that no reader asked for.
    void finish() const;

private:
    const boost::json::value* take(std::string_view name);

    std::string method_;
    const boost::json::object& params_;
    std::vector<std::string> taken_;
};

/// True for standard base64 (A-Z a-z 0-9 + /, '=' padding, length a multiple of 4).
bool looks_like_base64(std::string_view s) noexcept;

} // namespace gleitzeit::provider_llm_detail
