#!/usr/bin/env bash
# The plugin SDK as a plugin author meets it: install the plugin-api component of this build
# into an empty prefix, build plugin-api/example from a copy outside the source tree against
# that prefix alone, check what the plugin exports, and load it like gleitzeitd does.
#
# Run by ctest (tests/sdk/CMakeLists.txt), which passes every path as an option.
set -euo pipefail

usage() {
    echo "usage: $0 --cmake CMAKE --build-dir DIR --source-dir DIR --libdir LIBDIR" \
        "--loader EXE --cxx CXX --generator GEN [--boost-dir DIR]" >&2
    exit 2
}

boost_dir=""
while [[ $# -gt 0 ]]; do
    case "$1" in
    --cmake) cmake=$2 ;;
    --build-dir) build_dir=$2 ;;
    --source-dir) source_dir=$2 ;;
    --libdir) libdir=$2 ;;
    --loader) loader=$2 ;;
    --cxx) cxx=$2 ;;
    --generator) generator=$2 ;;
    --boost-dir) boost_dir=$2 ;;
    *) usage ;;
    esac
    shift 2
done
[[ -n "${cmake:-}" && -n "${build_dir:-}" && -n "${source_dir:-}" && -n "${libdir:-}" &&
    -n "${loader:-}" && -n "${cxx:-}" && -n "${generator:-}" ]] || usage

fail() {
    echo "sdk: FAIL: $*" >&2
    exit 1
}
step() { echo "sdk: $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gleitzeit-sdk.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
api_libdir=$prefix/$libdir/gleitzeit
cmakedir=$prefix/$libdir/cmake/gleitzeit-plugin-api

# ---- 1. install the plugin-api component only --------------------------------------------
step "installing the plugin-api component into $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" --component plugin-api >"$work/install.log" ||
    { cat "$work/install.log" >&2; fail "cmake --install --component plugin-api failed"; }

# The SONAME's number is the plugin API version, written once in version.hpp.
api=$(sed -n 's/.*plugin_api_version = \([0-9][0-9]*\);.*/\1/p' "$source_dir/plugin-api/include/gleitzeit/version.hpp")
[[ -n "$api" ]] || fail "no plugin_api_version in $source_dir/plugin-api/include/gleitzeit/version.hpp"
soname="libgleitzeit-plugin-api.so.$api"

for f in "$api_libdir/$soname" "$api_libdir/libgleitzeit-plugin-api.so" \
    "$prefix/include/gleitzeit/types.hpp" "$prefix/include/gleitzeit/export.hpp" \
    "$cmakedir/gleitzeit-plugin-apiConfig.cmake" "$cmakedir/gleitzeit-plugin-apiConfigVersion.cmake" \
    "$cmakedir/gleitzeit-plugin-apiTargets.cmake" "$cmakedir/GleitzeitPlugin.cmake" \
    "$cmakedir/plugin.map"; do
    [[ -e "$f" ]] || fail "not installed: ${f#"$prefix"/}"
done
# Nothing but the SDK belongs to the component: no host binaries, no private headers.
unexpected=$(cd "$prefix" && find . -type f -o -type l | sed 's|^\./||' |
    grep -v -E "^(include/gleitzeit/[a-z_]+\.hpp|$libdir/gleitzeit/libgleitzeit-plugin-api\.so[.0-9]*|$libdir/cmake/gleitzeit-plugin-api/[A-Za-z_.-]+)$" || true)
[[ -z "$unexpected" ]] || fail "the plugin-api component installed more than the SDK: $unexpected"
[[ ! -e "$prefix/include/gleitzeit/json_read.hpp" ]] || fail "a private header was installed"

# The library is private to the product: its SONAME is versioned and it carries no RPATH.
dynamic=$(readelf -d "$api_libdir/$soname")
grep -qF "Library soname: [$soname]" <<<"$dynamic" ||
    fail "installed library has no SONAME $soname"
! grep -q -E '\((RPATH|RUNPATH)\)' <<<"$dynamic" || fail "installed library carries an RPATH"

# ---- 2. build the example outside the tree, against the prefix alone -----------------------
step "building the example against $prefix"
cp -r "$source_dir/plugin-api/example" "$work/src"
# Only to check the RUNPATH an installed plugin gets; the example itself leaves installing to
# its author.
echo 'install(TARGETS example-greeter LIBRARY DESTINATION plugins)' >>"$work/src/CMakeLists.txt"
configure=(-S "$work/src" -B "$work/build" -G "$generator"
    -DCMAKE_CXX_COMPILER="$cxx"
    -DCMAKE_PREFIX_PATH="$prefix"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
    "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Wpedantic -Werror")
[[ -z "$boost_dir" ]] || configure+=(-DBoost_DIR="$boost_dir")
if command -v ccache >/dev/null; then
    configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    # Paths below $work become relative, so that runs in different temp dirs share the cache.
    export CCACHE_BASEDIR=$work
fi
"$cmake" "${configure[@]}" >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log" >&2; fail "configuring the example failed"; }
found=$(grep '^gleitzeit-plugin-api_DIR:' "$work/build/CMakeCache.txt" | cut -d= -f2-)
[[ "$found" == "$cmakedir" ]] || fail "found gleitzeit-plugin-api in '$found', not in $cmakedir"
"$cmake" --build "$work/build" >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; fail "building the example failed"; }
! grep -q -F "$source_dir" "$work/build/compile_commands.json" ||
    fail "the example's compile commands refer to the source tree $source_dir"

plugin=$work/build/example-greeter.so
[[ -f "$plugin" ]] || fail "the build made no example-greeter.so"

# ---- 3. what the plugin exports and links --------------------------------------------------
exported=$(nm -D --defined-only "$plugin" | awk '{print $3}' | sort)
[[ "$exported" == $'gleitzeit_plugin_descriptor\ngleitzeit_plugin_factory' ]] ||
    fail "example-greeter.so exports $(wc -l <<<"$exported") symbols, expected exactly" \
        "gleitzeit_plugin_descriptor and gleitzeit_plugin_factory; the first:" \
        "$(head -n 5 <<<"$exported" | tr '\n' ' ')"
plugin_dynamic=$(readelf -d "$plugin")
grep -qF "Shared library: [$soname]" <<<"$plugin_dynamic" ||
    fail "example-greeter.so does not need $soname"

"$cmake" --install "$work/build" --prefix "$work/installed-plugin" >/dev/null ||
    fail "installing the example failed"
runpath=$(readelf -d "$work/installed-plugin/plugins/example-greeter.so" |
    sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[[ "$runpath" == "$api_libdir" ]] ||
    fail "the installed plugin's RUNPATH is '$runpath', expected $api_libdir"

# ---- 4. load it like gleitzeitd -----------------------------------------------------------
step "loading $plugin"
"$loader" "$plugin" || fail "sdk-load-example refused the example (see above)"
step "passed"
