#pragma once
// What a plugin and the host must agree on before any object crosses between them.

#include <boost/version.hpp>

#include <cstdint>

namespace gleitzeit {

/// Bumped whenever a type or an interface of this API changes its layout or meaning.
inline constexpr std::uint32_t plugin_api_version = 3;

} // namespace gleitzeit

#define GLEITZEIT_STRINGIFY_(x) #x
#define GLEITZEIT_STRINGIFY(x) GLEITZEIT_STRINGIFY_(x)

/// Compiler and Boost versions: C++ objects (std::string, boost::json::value) cross the
/// plugin boundary, so both sides must have been built with the same ones.
#if defined(__clang__)
#define GLEITZEIT_COMPILER_TAG "clang-" GLEITZEIT_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define GLEITZEIT_COMPILER_TAG "gcc-" GLEITZEIT_STRINGIFY(__GNUC__)
#else
#define GLEITZEIT_COMPILER_TAG "unknown-compiler"
#endif
#define GLEITZEIT_BUILD_TAG GLEITZEIT_COMPILER_TAG " boost-" GLEITZEIT_STRINGIFY(BOOST_VERSION)
