# gleitzeit_add_plugin(<target> <sources>...)
#
# Builds a Gleitzeit plugin: a MODULE library named <target>.so (no "lib" prefix), with hidden
# visibility and a version script that exports only gleitzeit_plugin_descriptor and
# gleitzeit_plugin_factory. Used by the plugins in this tree and, through the installed
# package config, by plugins built outside it.
#
# Why: a plugin that exported its other symbols (inline functions, template instances,
# typeinfo of its own classes) could have them bound by the loader to another plugin's copy,
# and would be kept mapped after dlclose() by the references of others, so a hot swap would
# not really unload it. Exporting two symbols and nothing else makes each plugin an island.
#
# Include this file after gleitzeit::plugin-api exists (the package config does so).
set(GLEITZEIT_PLUGIN_VERSION_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/plugin.map"
    CACHE INTERNAL "version script of Gleitzeit plugins")

function(gleitzeit_add_plugin target)
  if(NOT ARGN)
    message(FATAL_ERROR "gleitzeit_add_plugin(${target}): no sources given")
  endif()
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE gleitzeit::plugin-api)
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${GLEITZEIT_PLUGIN_VERSION_SCRIPT}" "LINKER:--no-undefined")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${GLEITZEIT_PLUGIN_VERSION_SCRIPT}")
  # Outside the tree (the installed package sets GLEITZEIT_PLUGIN_API_LIBRARY_DIR), an
  # installed plugin keeps a RUNPATH to the library's private directory, so that ldd and
  # tools resolve it. gleitzeitd does not need it: it links the library itself, and the loader
  # reuses an already loaded library of the same SONAME when it dlopens a plugin.
  if(GLEITZEIT_PLUGIN_API_LIBRARY_DIR)
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "${GLEITZEIT_PLUGIN_API_LIBRARY_DIR}")
  endif()
endfunction()

# gleitzeit_add_plugin_core(<target> <sources>...)
#
# The code of a plugin as a static library, so that unit tests link the same code the plugin
# ships: position-independent, and with hidden visibility, because it goes into a plugin
# module that must export nothing of its own. Its folder is on its include path.
function(gleitzeit_add_plugin_core target)
  add_library(${target} STATIC ${ARGN})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC gleitzeit::plugin-api)
  set_target_properties(${target} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
