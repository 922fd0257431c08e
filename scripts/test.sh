#!/usr/bin/env bash
# Builds krest with AddressSanitizer and UndefinedBehaviorSanitizer, warnings as errors, and runs
# every test (unit, integration against real krest-proxy processes, third-party clients), then
# runs each fuzz target briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${KREST_TEST_BUILD:-build-asan}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKREST_SANITIZE=ON -DKREST_WERROR=ON > /dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" -j 2 --output-on-failure
# Every fuzz target for 10 s (clang, libFuzzer): a crash fails the run.
scripts/fuzz.sh 10
