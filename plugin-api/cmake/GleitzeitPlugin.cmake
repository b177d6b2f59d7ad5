# gleitzeit_add_plugin(<target> <sources>...)
#
# Builds a Gleitzeit plugin: a MODULE library named <target>.so (no "lib" prefix), with hidden
# visibility and a version script that exports only gleitzeit_plugin_descriptor and
# gleitzeit_plugin_factory. Used by the plugins in this tree and, through the installed
# package config, by plugins built outside it.
set(GLEITZEIT_PLUGIN_VERSION_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/plugin.map"
    CACHE INTERNAL "version script of Gleitzeit plugins")

function(gleitzeit_add_plugin target)
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE gleitzeit::plugin-api)
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${GLEITZEIT_PLUGIN_VERSION_SCRIPT}" "LINKER:--no-undefined")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${GLEITZEIT_PLUGIN_VERSION_SCRIPT}")
endfunction()
