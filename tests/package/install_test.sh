#!/usr/bin/env bash
# The engine as another project uses it: `cmake --install` into a scratch prefix, then
# docs/examples/quickstart.cpp (and blocking.cpp) built out of tree — with find_package(krest CONFIG) and with
# pkg-config — and each run against a real krest-proxy with its development authority.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR PROXY_BIN "EXTRA_FLAGS" (the build's sanitizer flags:
# an instrumented engine needs an instrumented program).
set -euo pipefail
build=$1 source=$2 proxy_bin=$3 flags=${4:-}
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

source "$source/tests/clients/start_proxy.sh"
start_proxy "$proxy_bin" contoso quickstart
export KREST_ENDPOINT=$url KREST_CA_FILE=$ca KREST_TENANT=contoso KREST_CLIENT_ID=quickstart
export KREST_CLIENT_SECRET=$secret KREST_AUTHORITY="${url/127.0.0.1/localhost}/{tenant}"
prefix=$dir/prefix
cmake --install "$build" --prefix "$prefix" > "$dir/install.log" || fail "cmake --install: $(tail -5 "$dir/install.log")"
[ -f "$prefix/include/krest/producer.hpp" ] && [ -f "$prefix/include/krest/version.hpp" ] &&
  [ -f "$prefix/lib/cmake/krest/krestConfig.cmake" ] && [ -f "$prefix/lib/pkgconfig/krest.pc" ] ||
  fail "the install is missing files: $(find "$prefix" -type f | head -30)"
# Only the public headers: none of engine/src (api/, http/, pool/...) leaks onto a user's path.
[ "$(find "$prefix/include" -type f | grep -vc '/include/krest/')" = 0 ] || fail "headers outside include/krest"
ok "cmake --install puts headers, libraries, the CMake package and krest.pc under the prefix"

runs_against_proxy() {  # program name
  local out
  out=$("$1") || fail "$2: the quickstart failed: $out"
  grep -q '^produced 10 records$' <<< "$out" || fail "$2: $out"
}

# 1. find_package(krest CONFIG), as a CMake user would.
app=$dir/app
mkdir -p "$app"
cp "$source/docs/examples/quickstart.cpp" "$source/docs/examples/blocking.cpp" "$app/"
cat > "$app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(uses_krest CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(krest 0.1 CONFIG REQUIRED)
add_executable(quickstart quickstart.cpp)
target_link_libraries(quickstart PRIVATE krest::engine)
add_executable(blocking blocking.cpp)
target_link_libraries(blocking PRIVATE krest::engine)
CMAKE
cmake -S "$app" -B "$app/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" > "$dir/app.log" 2>&1 ||
  fail "find_package(krest): $(tail -20 "$dir/app.log")"
cmake --build "$app/build" >> "$dir/app.log" 2>&1 || fail "building against krest::engine: $(tail -20 "$dir/app.log")"
runs_against_proxy "$app/build/quickstart" "find_package"
out=$(KREST_CLIENT_ID=quickstart "$app/build/blocking") || fail "the blocking example failed: $out"
grep -q '^produced 1000 records$' <<< "$out" || fail "the blocking example: $out"
ok "find_package(krest CONFIG) and krest::engine build the quickstart and the blocking example, which run against krest-proxy"

# 2. pkg-config, as a Makefile user would.
# shellcheck disable=SC2046,SC2086
g++ $flags -O1 -o "$dir/quickstart-pc" "$source/docs/examples/quickstart.cpp" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs krest) 2> "$dir/pc.log" ||
  fail "building with pkg-config: $(tail -20 "$dir/pc.log")"
runs_against_proxy "$dir/quickstart-pc" "pkg-config"
ok "pkg-config krest builds the quickstart, which runs against krest-proxy"
echo "$passed passed, 0 failed"
