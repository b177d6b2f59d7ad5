#include "gleitzeit/reference.hpp"

#include <string_view>

namespace gleitzeit {

bool holds_reference(const boost::json::value& v) noexcept {
    if (const auto* s = v.if_string())
        return std::string_view(*s).find("${") != std::string_view::npos;
    if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            if (holds_reference(e))
                return true;
        return false;
    }
    if (const auto* o = v.if_object())
        return holds_reference(*o);
    return false;
}

bool holds_reference(const boost::json::object& o) noexcept {
    for (const auto& [k, e] : o)
        if (holds_reference(e))
            return true;
    return false;
}

} // namespace gleitzeit
