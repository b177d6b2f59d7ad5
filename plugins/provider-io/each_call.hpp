#pragma once
// Ending a provider's open calls at stop(): every call's done runs, even when one throws, and
// the first exception is raised again after the last (docs/plugins.md, "2. The lifecycle").

#include <exception>

namespace gleitzeit::provider_io {

/// Calls `end(item)` for every item of `calls`, then rethrows the first exception one threw.
template <class Calls, class End> void end_each(Calls& calls, End end) {
    std::exception_ptr first;
    for (auto& item : calls) {
        try {
            end(item);
        } catch (...) {
            if (!first)
                first = std::current_exception();
        }
    }
    if (first)
        std::rethrow_exception(first);
}

} // namespace gleitzeit::provider_io
