#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) and runs each for SECONDS
# (default 10) from its seed corpus in fuzz/corpus/<target>. A crash fails the run and leaves its
# input in build-fuzz/crashes/: make it a regression test, then add it to the seeds.
# Prints a Markdown table (target, inputs tried, seconds, crashes). Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKREST_FUZZ=ON > /dev/null
# Quiet when it builds; the compiler's or linker's words when it does not.
mkdir -p build-fuzz
if ! cmake --build build-fuzz -j "$(nproc)" > build-fuzz/build.log 2>&1; then
  echo "fuzz: the fuzz targets did not build:" >&2
  grep -E "error|undefined reference" build-fuzz/build.log | head -20 >&2 || tail -20 build-fuzz/build.log >&2
  exit 1
fi
targets=$(cd fuzz/targets && ls *.cpp | sed 's/\.cpp$//')
mkdir -p build-fuzz/crashes
failed=0
echo "| fuzz target | what it reads | inputs tried | seconds | crashes |"
echo "|---|---|---:|---:|---:|"
for t in $targets; do
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  what=$(sed -n '1s|^// ||p' "fuzz/targets/$t.cpp")
  log=build-fuzz/$t.log
  rc=0
  build-fuzz/fuzz/fuzz_$t -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t-" "$work" "fuzz/corpus/$t" > "$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=0
  if [[ $rc != 0 ]]; then
    crashes=1
    failed=1
    echo "fuzz: $t failed; its log: $log" >&2
    grep -m5 -E "ERROR|SUMMARY|Test unit written" "$log" >&2 || true
  fi
  echo "| $t | $what | ${runs:-0} | $seconds | $crashes |"
done
exit $failed
