#pragma once
// Makes a class a loadable plugin. In exactly one source file of the plugin:
//
//   GLEITZEIT_PLUGIN(queue, "queue-memory", "1.0.0", queue_memory)
//
// This defines the two symbols the host looks for, and nothing else is exported
// (gleitzeit_add_plugin() in CMake applies the version script):
// - gleitzeit_plugin_descriptor, plain data the host reads before any C++ object of the
//   plugin exists: API version, slot kind, name, version and build tag;
// - gleitzeit_plugin_factory, a Boost.DLL alias of the function that creates the instance
//   from the plugin's config table (as JSON).

#include "gleitzeit/plugin.hpp"
#include "gleitzeit/version.hpp"

// Boost.DLL on std::filesystem, as in the host: a plugin needs no Boost.Filesystem library.
#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/config.hpp>
#include <boost/dll/alias.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>

extern "C" {
struct gleitzeit_plugin_descriptor_v1 {
    std::uint32_t api_version;
    const char* slot;      // "queue", "resolver", "registry", "persistence" or "provider"
    const char* name;      // e.g. "queue-memory"; the config names plugins by it
    const char* version;   // the plugin's own version, e.g. "1.2.0"
    const char* build_tag; // GLEITZEIT_BUILD_TAG of the plugin's build
};
}

namespace gleitzeit {
using plugin_factory = std::unique_ptr<plugin>(const boost::json::object& config);
inline constexpr const char* descriptor_symbol = "gleitzeit_plugin_descriptor";
inline constexpr const char* factory_symbol = "gleitzeit_plugin_factory";
} // namespace gleitzeit

#define GLEITZEIT_PLUGIN(SLOT, NAME, VERSION, CLASS)                                          \
    extern "C" BOOST_SYMBOL_EXPORT const gleitzeit_plugin_descriptor_v1                       \
        gleitzeit_plugin_descriptor = {::gleitzeit::plugin_api_version, #SLOT, NAME, VERSION, \
                                       GLEITZEIT_BUILD_TAG};                                  \
    namespace {                                                                               \
    std::unique_ptr<::gleitzeit::plugin> gleitzeit_create_plugin(                             \
        const ::boost::json::object& config) {                                                \
        static_assert(std::is_base_of_v<::gleitzeit::SLOT, CLASS>,                            \
                      #CLASS " must derive from gleitzeit::" #SLOT);                          \
        return std::make_unique<CLASS>(config);                                               \
    }                                                                                         \
    }                                                                                         \
    BOOST_DLL_ALIAS(gleitzeit_create_plugin, gleitzeit_plugin_factory)
