#!/usr/bin/env bash
# The engine against wrk on the same krest-proxy, and the windowed consumer against one request at
# a time behind 2 ms of round trip. Runs are interleaved and repeated; the table reports medians.
# Usage: bench/run_engine_bench.sh [seconds-per-run] [repeats]   (defaults: 8, 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-8}
repeats=${2:-3}
conns=${KREST_BENCH_CONNECTIONS:-16}
threads=${KREST_BENCH_WRK_THREADS:-2}
window=${KREST_BENCH_WINDOW:-16}
# Engine instances side by side, one thread and one Client each, as many as wrk has threads.
export KREST_BENCH_ENGINE_THREADS=${KREST_BENCH_ENGINE_THREADS:-$threads}

scripts/setup.sh --bench > /dev/null
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKREST_BUILD_TESTS=OFF -DKREST_BUILD_BENCH=ON > /dev/null
cmake --build build-release -j "$(nproc)" --target krest-proxy engine_bench delay_relay > /dev/null
proxy=build-release/apps/krest-proxy
engine=build-release/bench/engine_bench

work=$(mktemp -d)
source bench/lib.sh
trap cleanup EXIT

write_produce_body "$work/produce.json"
export KREST_BENCH_BODY="$work/produce.json"
export KREST_BENCH_WINDOWS=1000 KREST_BENCH_PATH=/v1/consumer/topics/cons/partitions/0/offsets/

engine_run() {  # engine_bench arguments -> "records/s requests/s"
  local out
  out=$("$engine" "$@")
  awk '{for (i=1;i<=NF;i++) {split($i,kv,"="); v[kv[1]]=kv[2]} print v["records_per_s"], v["requests_per_s"]}' <<< "$out"
}

declare -A results
for round in $(seq "$repeats"); do
  # Produce: a fresh proxy per run, so every run appends to an empty log.
  start_proxy "wrk-produce-$round" --durability none
  curl -sS --fail --cacert "$work/wrk-produce-$round/tls/cert.pem" -X PUT "$url/v1/topics/bench" -d '{"partition_count":4}' > /dev/null
  read -r r _ <<< "$(run_wrk "$url/v1/producer/topics/bench" bench/wrk/produce.lua)"
  results[produce-wrk]+="$(echo "$r * 500" | bc -l) $r;"
  stop_proxies
  start_proxy "engine-produce-$round" --durability none
  curl -sS --fail --cacert "$work/engine-produce-$round/tls/cert.pem" -X PUT "$url/v1/topics/bench" -d '{"partition_count":4}' > /dev/null
  results[produce-engine]+="$(engine_run produce "$url" "$work/engine-produce-$round/tls/cert.pem" bench "$secs" "$conns");"
  stop_proxies
  start_proxy "replay-produce-$round" --durability none
  curl -sS --fail --cacert "$work/replay-produce-$round/tls/cert.pem" -X PUT "$url/v1/topics/bench" -d '{"partition_count":4}' > /dev/null
  results[produce-replay]+="$(engine_run replay "$url" "$work/replay-produce-$round/tls/cert.pem" bench "$secs" "$conns" "$work/produce.json");"
  stop_proxies

  # Consume count=500 from a prefilled partition: wrk at random windows, the engine reading it through.
  if [[ ! -d "$work/consume" ]]; then
    start_proxy consume --durability none
    prefill_consume_topic consume
    stop_proxies
  fi
  start_proxy consume --durability none
  read -r r _ <<< "$(run_wrk "$url" bench/wrk/consume.lua)"
  results[consume-wrk]+="$(echo "$r * 500" | bc -l) $r;"
  results[consume-fetch]+="$(engine_run fetch "$url" "$work/consume/tls/cert.pem" cons "$secs" "$conns" 1000);"
  results[consume-engine]+="$(engine_run consume "$url" "$work/consume/tls/cert.pem" cons "$secs" "$conns" $((conns / KREST_BENCH_ENGINE_THREADS)) 500000);"

  # 2 ms round trip (1 ms each way) between the engine and the proxy: a window of requests vs one.
  relay_out="$work/relay-$round.out"
  build-release/bench/delay_relay "${url##*:}" 1 > "$relay_out" &
  pids+=($!)
  for _ in $(seq 50); do grep -q listening "$relay_out" && break; sleep 0.1; done
  relayed="https://localhost:$(awk '{print $3}' "$relay_out")"
  results[rtt-window]+="$(KREST_BENCH_ENGINE_THREADS=1 engine_run consume "$relayed" "$work/consume/tls/cert.pem" cons "$secs" "$window" "$window" 500000);"
  results[rtt-single]+="$(KREST_BENCH_ENGINE_THREADS=1 engine_run consume "$relayed" "$work/consume/tls/cert.pem" cons "$secs" 1 1 500000);"
  stop_proxies
done

row() {  # name, key
  printf '| %s | %.0f | %.0f | %s |\n' "$1" "$(median 1 <<< "${results[$2]}")" "$(median 2 <<< "${results[$2]}")" \
    "$(tr ';' '\n' <<< "${results[$2]}" | awk 'NF {printf "%s%.0f", (n++ ? ", " : ""), $1}')"
}
ratio() { echo "scale=2; $(median 1 <<< "${results[$1]}") / $(median 1 <<< "${results[$2]}")" | bc -l; }

echo
echo "$secs s per run, medians of $repeats interleaved runs; krest-proxy with 2 threads, --auth none, durability=none."
echo "wrk -t $threads -c $conns; the engine as $KREST_BENCH_ENGINE_THREADS instances side by side (one thread and one Client each,"
echo "$conns pooled connections in all; the 2 ms RTT rows: one instance). HTTP/1.1 carries one request per connection at"
echo "a time, so a window of N requests needs N connections."
echo
echo "| run | records/s | requests/s | records/s of each run |"
echo "|---|---|---|---|"
row "wrk, produce (one pre-built body of 500 x 100 B)" produce-wrk
row "engine pool replaying the same pre-built body (transport only)" produce-replay
row "engine producer (500-record batches of 100 B, built per record)" produce-engine
row "wrk, consume count=500 at random offsets" consume-wrk
row "engine pool fetching the same random windows (transport only, bodies not parsed)" consume-fetch
row "engine consumer, count=500, window $((conns / KREST_BENCH_ENGINE_THREADS)) per instance, reading the partition through" consume-engine
row "engine consumer behind 2 ms RTT, window $window ($window connections)" rtt-window
row "engine consumer behind 2 ms RTT, one request at a time, one connection" rtt-single
echo
echo "engine / wrk: transport alone produce $(ratio produce-replay produce-wrk), consume $(ratio consume-fetch consume-wrk);"\
" producer $(ratio produce-engine produce-wrk), consumer $(ratio consume-engine consume-wrk);"\
" behind 2 ms RTT, window $window / one at a time: $(ratio rtt-window rtt-single)"
