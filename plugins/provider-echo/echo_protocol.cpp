#include "echo_protocol.hpp"

#include "gleitzeit/error.hpp"
#include "json_reading.hpp"

#include <string_view>
#include <utility>

namespace gleitzeit::provider_echo_detail {

namespace json = boost::json;

namespace {

[[noreturn]] void refuse(std::string message) {
    throw error(error_code::invalid_argument, message);
}

/// `v` as an integer in [lo, hi]; otherwise refused with "<what> must be an integer from lo to
/// hi, got ...".
std::int64_t read_integer(const json::value& v, std::int64_t lo, std::int64_t hi,
                          std::string_view what) {
    if (auto n = json_reading::integer_in(v, lo, hi))
        return *n;
    refuse(std::string(what) + " " + json_reading::integer_refusal(v, lo, hi));
}

/// Refuses any key of `params` that is not in `known`: a misspelt "retryable" would otherwise
/// be ignored and the call would behave as if it had not been given.
void refuse_unknown(const json::object& params, std::string_view method,
                    std::initializer_list<std::string_view> known) {
    for (const auto& kv : params) {
        bool found = false;
        for (std::string_view k : known)
            found = found || kv.key() == k;
        if (!found)
            refuse(std::string(method) + ": unknown param '" + std::string(kv.key()) + "'");
    }
}

json::object schema(std::string_view type, bool required, std::string_view description) {
    return {{"type", type}, {"required", required}, {"description", description}};
}

} // namespace


protocol_spec echo_spec() {
    json::object ms = schema("integer", true, "how long to sleep, in milliseconds");
    ms["minimum"] = 0;
    ms["maximum"] = max_delay_ms;
    // The registry's schema language has no "default"; the description says it.
    json::object retryable =
        schema("boolean", false, "whether the hub may retry the failed call; true when absent");
    return {
        protocol_id,
        "Answers calls without doing work: for tests, benchmarks and trying out a setup.",
        {
            {"echo", "Returns its params object unchanged, as the result.", {}},
            {"delay",
             "Waits ms milliseconds without holding a thread, then returns {\"slept_ms\": ms}.",
             {{"ms", std::move(ms)}}},
            {"fail",
             "Fails the call with error code provider_error and the given message.",
             {{"message", schema("string", true, "the error message the call fails with")},
              {"retryable", std::move(retryable)}}},
        },
    };
}

std::size_t read_max_concurrency(const json::object& config) {
    std::int64_t n = default_max_concurrency;
    for (const auto& kv : config) {
        if (kv.key() != "max_concurrency")
            throw error(error_code::invalid_argument, std::string(plugin_name) +
                                                          ": unknown config key '" +
                                                          std::string(kv.key()) + "'");
        n = read_integer(kv.value(), 1, max_max_concurrency,
                         std::string(plugin_name) + ": max_concurrency");
    }
    return static_cast<std::size_t>(n);
}

std::int64_t read_delay(const json::object& params) {
    refuse_unknown(params, "delay", {"ms"});
    const json::value* ms = params.if_contains("ms");
    if (!ms)
        refuse("delay: params.ms is missing");
    return read_integer(*ms, 0, max_delay_ms, "delay: params.ms");
}

task_error read_fail(const json::object& params) {
    refuse_unknown(params, "fail", {"message", "retryable"});
    const json::value* message = params.if_contains("message");
    if (!message)
        refuse("fail: params.message is missing");
    if (!message->is_string())
        refuse("fail: params.message must be a string, got " + json_reading::kind_of(*message));
    bool retryable = true;
    if (const json::value* r = params.if_contains("retryable")) {
        if (!r->is_bool())
            refuse("fail: params.retryable must be a boolean, got " + json_reading::kind_of(*r));
        retryable = r->get_bool();
    }
    return {error_code::provider_error, std::string(message->get_string()), retryable};
}

} // namespace gleitzeit::provider_echo_detail
