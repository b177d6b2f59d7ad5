#include "gleitzeit/error.hpp"

#include <array>
#include <utility>

namespace gleitzeit {

namespace {
constexpr std::array<std::pair<error_code, std::string_view>, 14> code_names{{
    {error_code::invalid_argument, "invalid_argument"},
    {error_code::invalid_workflow, "invalid_workflow"},
    {error_code::not_found, "not_found"},
    {error_code::no_provider, "no_provider"},
    {error_code::timeout, "timeout"},
    {error_code::provider_error, "provider_error"},
    {error_code::cancelled, "cancelled"},
    {error_code::state_format, "state_format"},
    {error_code::plugin_error, "plugin_error"},
    {error_code::unauthorized, "unauthorized"},
    {error_code::internal, "internal"},
    {error_code::unavailable, "unavailable"},
    {error_code::rate_limited, "rate_limited"},
    {error_code::unresolved_reference, "unresolved_reference"},
}};
} // namespace

std::string_view to_string(error_code c) noexcept {
    for (const auto& [code, name] : code_names)
        if (code == c)
            return name;
    return "internal";
}

error_code error_code_from_string(std::string_view name) noexcept {
    for (const auto& [code, n] : code_names)
        if (n == name)
            return code;
    return error_code::internal;
}

error::error(error_code code, const std::string& message)
    : std::runtime_error(message), code_(code) {}
error::~error() = default;

} // namespace gleitzeit
