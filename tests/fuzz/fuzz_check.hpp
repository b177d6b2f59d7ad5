#pragma once
// What every fuzz target shares: how it reports a broken invariant and an exception that is
// not a refusal. Both abort, because an abort is what libFuzzer and the replay driver
// (replay_main.cpp) count as a finding; returning normally means "this input is fine".

#include <boost/json/value.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cxxabi.h>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace gleitzeit::fuzz {

[[noreturn]] inline void broken(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
    std::abort();
}

/// Inside a catch block: names the exception that escaped `where`, then aborts. For the
/// exceptions that the production caller of the parser would not expect.
[[noreturn]] inline void escaped(const char* where) {
    try {
        throw;
    } catch (const std::exception& e) {
        int status = 0;
        std::unique_ptr<char, decltype(&std::free)> name(
            abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status), &std::free);
        std::fprintf(stderr, "fuzz: %s let %s escape: %s\n", where,
                     name ? name.get() : typeid(e).name(), e.what());
    } catch (...) {
        std::fprintf(stderr, "fuzz: %s let a non-standard exception escape\n", where);
    }
    std::abort();
}

/// JSON equality in which two doubles may differ in their last bits. Boost.JSON 1.81 parses
/// some decimal texts one ulp away from the double the serializer wrote, so values that went
/// through text once are compared with this; values that never did are compared with ==.
inline bool same_json(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_double() && b.is_double()) {
        double x = a.get_double(), y = b.get_double();
        return x == y || std::fabs(x - y) <= 1e-15 * std::fmax(std::fabs(x), std::fabs(y));
    }
    if (a.is_array() && b.is_array()) {
        const auto &p = a.get_array(), &q = b.get_array();
        if (p.size() != q.size())
            return false;
        for (std::size_t i = 0; i < p.size(); ++i)
            if (!same_json(p[i], q[i]))
                return false;
        return true;
    }
    if (a.is_object() && b.is_object()) {
        const auto &p = a.get_object(), &q = b.get_object();
        if (p.size() != q.size())
            return false;
        for (const auto& kv : p) {
            const auto* other = q.if_contains(kv.key());
            if (!other || !same_json(kv.value(), *other))
                return false;
        }
        return true;
    }
    return a == b;
}

/// Splits a fuzz input into its first `n - 1` lines and the rest, for targets that take
/// several inputs at once (a target and two headers, a document and its settings).
inline std::vector<std::string_view> fields(std::string_view input, std::size_t n) {
    std::vector<std::string_view> out;
    while (out.size() + 1 < n) {
        auto nl = input.find('\n');
        if (nl == std::string_view::npos)
            break;
        out.push_back(input.substr(0, nl));
        input.remove_prefix(nl + 1);
    }
    out.push_back(input);
    out.resize(n);
    return out;
}

} // namespace gleitzeit::fuzz

#define FUZZ_CHECK(cond) ((cond) ? void(0) : ::gleitzeit::fuzz::broken(#cond, __FILE__, __LINE__))
