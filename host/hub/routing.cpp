#include "hub/routing.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace gleitzeit::hub {

void stamp(boost::json::object& payload, const std::string& correlation_id,
           std::string_view source) {
    if (!correlation_id.empty())
        payload["_correlation_id"] = correlation_id;
    payload["_source_component"] = source;
    payload["_timestamp"] = timestamp_now();
}

std::string correlation_of(const boost::json::value& request) {
    const auto* o = request.if_object();
    const auto* c = o ? o->if_contains("_correlation_id") : nullptr;
    return c && c->is_string() ? std::string(c->get_string()) : std::string();
}

std::string timestamp_now() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto secs = system_clock::to_time_t(now);
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    // Every progress event carries one; the date and time change once a second, not per event.
    thread_local std::time_t formatted_secs = -1;
    thread_local char date[24];
    if (secs != formatted_secs) {
        std::tm tm{};
        gmtime_r(&secs, &tm);
        std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        formatted_secs = secs;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s.%03dZ", date, static_cast<int>(ms));
    return buf;
}

} // namespace gleitzeit::hub
