#!/usr/bin/env bash
# The engine against wrk on the same krest-proxy, and the windowed consumer against one request at
# a time behind 2 ms of round trip. Runs are interleaved and repeated; the table reports medians.
#
# Two CPU arrangements, each in every round:
#   shared: krest-proxy and the client on all CPUs, competing for them. The client's CPU is taken
#           from the server's, so this compares how much each client costs as much as how fast it is.
#   split:  krest-proxy on the first half of the CPUs, the client on the other half (taskset): the
#           proxy with CPUs of its own, as on its own machine (HDInsight's proxy is a remote
#           cluster). Whether a client keeps up with the server is what this shows.
# Besides rates, each run records the client's CPU time per request (GNU time) and the server's
# (/proc), the steadier figures on a noisy machine.
#
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
cmake --build build-release -j "$(nproc)" --target krest-proxy engine_bench krest-netem > /dev/null
proxy=build-release/apps/krest-proxy
engine=build-release/bench/engine_bench

work=$(mktemp -d)
source bench/lib.sh
trap cleanup EXIT

write_produce_body "$work/produce.json"
export KREST_BENCH_BODY="$work/produce.json"
export KREST_BENCH_WINDOWS=1000 KREST_BENCH_PATH=/v1/consumer/topics/cons/partitions/0/offsets/

cpus=$(nproc)
arrangements=(shared)
if ((cpus >= 2)); then
  arrangements+=(split)
  server_cpus="0-$((cpus / 2 - 1))"
  client_cpus="$((cpus / 2))-$((cpus - 1))"
fi

# Runs a client command against the last started proxy; its output goes to $work/out. Prints
# "client_cpu_seconds server_cpu_seconds".
timed() {
  local before after
  before=$(cpu_ticks "${pids[-1]}")
  /usr/bin/time -f '%U %S' -o "$work/time" "${client_pin[@]}" "$@" > "$work/out"
  after=$(cpu_ticks "${pids[-1]}")
  awk -v ticks=$((after - before)) -v hz="$tick" '{print $1 + $2, ticks / hz}' "$work/time"
}

# Each prints one result: "records/s requests/s client_us_per_request server_us_per_request".
wrk_run() {  # $1: url, $2: script, [$3: an Accept-Encoding value]
  local client server requests rate
  # The Accept-Encoding the engine sends by default, so that the proxy does the same work for both:
  # fetches ask for compressed answers; a produce body that goes plain on a fast link does not.
  read -r client server <<< "$(timed wrk -t "$threads" -c "$conns" -d "${secs}s" -s "$2" ${3:+-H "Accept-Encoding: $3"} "$1")"
  if grep -q 'Non-2xx' "$work/out"; then
    echo "wrk saw error responses from $1 ($2):" >&2
    cat "$work/out" >&2
    exit 1
  fi
  requests=$(awk '/requests in/ {print $1}' "$work/out")
  rate=$(rps < "$work/out")
  echo "$(echo "$rate * 500" | bc -l) $rate $(echo "$client * 1000000 / $requests" | bc -l) $(echo "$server * 1000000 / $requests" | bc -l)"
}
engine_run() {  # engine_bench arguments
  local client server
  read -r client server <<< "$(timed "$engine" "$@")"
  awk -v c="$client" -v s="$server" '{for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
    print v["records_per_s"], v["requests_per_s"], c * 1e6 / v["requests"], s * 1e6 / v["requests"]}' "$work/out"
}

declare -A results
for round in $(seq "$repeats"); do
  for arrangement in "${arrangements[@]}"; do
    if [[ $arrangement == split ]]; then
      server_pin=(taskset -c "$server_cpus")
      client_pin=(taskset -c "$client_cpus")
    else
      server_pin=()
      client_pin=()
    fi
    a=$arrangement
    # Produce: a fresh proxy per run, so every run appends to an empty log.
    for client in wrk engine replay; do
      name="$a-produce-$client-$round"
      start_proxy "$name" --durability none
      curl -sS --fail --cacert "$work/$name/tls/cert.pem" -X PUT "$url/v1/topics/bench" -d '{"partition_count":4}' > /dev/null
      case $client in
        wrk) results[$a-produce-wrk]+="$(wrk_run "$url/v1/producer/topics/bench" bench/wrk/produce.lua);" ;;
        engine) results[$a-produce-engine]+="$(engine_run produce "$url" "$work/$name/tls/cert.pem" bench "$secs" "$conns");" ;;
        replay) results[$a-produce-replay]+="$(engine_run replay "$url" "$work/$name/tls/cert.pem" bench "$secs" "$conns" "$work/produce.json");" ;;
      esac
      stop_proxies
      rm -rf "${work:?}/$name"
    done

    # Consume count=500 from a prefilled partition: wrk at random windows, the engine reading it through.
    if [[ ! -d "$work/consume" ]]; then
      start_proxy consume --durability none
      prefill_consume_topic consume
      stop_proxies
    fi
    start_proxy consume --durability none
    ca=$work/consume/tls/cert.pem
    results[$a-consume-wrk]+="$(wrk_run "$url" bench/wrk/consume.lua "zstd, gzip");"
    results[$a-consume-fetch]+="$(engine_run fetch "$url" "$ca" cons "$secs" "$conns" 1000);"
    results[$a-consume-engine]+="$(engine_run consume "$url" "$ca" cons "$secs" "$conns" $((conns / KREST_BENCH_ENGINE_THREADS)) 500000);"

    if [[ $a == shared ]]; then
      # 2 ms round trip (1 ms each way) between the engine and the proxy: a window of requests vs one.
      relay_out="$work/relay-$round.out"
      build-release/tools/krest-netem --upstream "127.0.0.1:${url##*:}" --rtt-ms 2 > "$relay_out" &
      pids=($! "${pids[@]}")  # the proxy's pid stays last, for timed()
      for _ in $(seq 50); do grep -q listening "$relay_out" && break; sleep 0.1; done
      relayed="https://localhost:$(awk '{print $3}' "$relay_out")"
      results[rtt-window]+="$(KREST_BENCH_ENGINE_THREADS=1 engine_run consume "$relayed" "$ca" cons "$secs" "$window" "$window" 500000);"
      results[rtt-single]+="$(KREST_BENCH_ENGINE_THREADS=1 engine_run consume "$relayed" "$ca" cons "$secs" 1 1 500000);"
    fi
    stop_proxies
  done
done

row() {  # name, key
  local r=${results[$2]}
  printf '| %s | %.0f | %.0f | %.1f | %.1f | %s |\n' "$1" "$(median 1 <<< "$r")" "$(median 2 <<< "$r")" \
    "$(median 3 <<< "$r")" "$(median 4 <<< "$r")" \
    "$(tr ';' '\n' <<< "$r" | awk 'NF {printf "%s%.0f", (n++ ? ", " : ""), $1}')"
}
ratio() { echo "scale=2; $(median 1 <<< "${results[$1]}") / $(median 1 <<< "${results[$2]}")" | bc -l; }

echo "$secs s per run, medians of $repeats interleaved runs; krest-proxy with 2 threads, --auth none, durability=none."
echo "wrk -t $threads -c $conns, asking for compressed answers as the engine does by default (consume requests with"
echo "\`Accept-Encoding: zstd, gzip\`, produce requests, whose bodies go plain here, without: krest-proxy does the same"
echo "for both); the engine as $KREST_BENCH_ENGINE_THREADS instances side by side (one thread and one Client each,"
echo "$conns pooled connections in all; the 2 ms RTT rows: one instance). HTTP/1.1 carries one request per connection at"
echo "a time, so a window of N requests needs N connections. CPU columns: user+system time per request, of the"
echo "client (GNU time) and of krest-proxy (/proc)."
for a in "${arrangements[@]}"; do
  echo
  if [[ $a == shared ]]; then
    echo "**shared**: krest-proxy and the client on all $cpus CPUs, competing for them."
  else
    echo "**split**: krest-proxy on CPUs $server_cpus, the client on CPUs $client_cpus (taskset), as on machines of their own."
  fi
  echo
  echo "| run | records/s | requests/s | client CPU µs/request | server CPU µs/request | records/s of each run |"
  echo "|---|---|---|---|---|---|"
  row "wrk, produce (one pre-built body of 500 x 100 B)" "$a-produce-wrk"
  row "engine pool replaying the same pre-built body (transport only)" "$a-produce-replay"
  row "engine producer (500-record batches of 100 B, built per record)" "$a-produce-engine"
  row "wrk, consume count=500 at random offsets" "$a-consume-wrk"
  row "engine pool fetching the same random windows (transport only, bodies not parsed)" "$a-consume-fetch"
  row "engine consumer, count=500, window $((conns / KREST_BENCH_ENGINE_THREADS)) per instance, reading the partition through" "$a-consume-engine"
  if [[ $a == shared ]]; then
    row "engine consumer behind 2 ms RTT, window $window ($window connections)" rtt-window
    row "engine consumer behind 2 ms RTT, one request at a time, one connection" rtt-single
  fi
done
echo
for a in "${arrangements[@]}"; do
  echo "engine / wrk, $a CPUs: transport alone produce $(ratio "$a-produce-replay" "$a-produce-wrk"),"\
" consume $(ratio "$a-consume-fetch" "$a-consume-wrk"); producer $(ratio "$a-produce-engine" "$a-produce-wrk"),"\
" consumer $(ratio "$a-consume-engine" "$a-consume-wrk")."
  echo
done
echo "Behind 2 ms RTT, window $window / one at a time: $(ratio rtt-window rtt-single)."
