#!/usr/bin/env bash
# What a user would pick, side by side on one krest-proxy: the documentation's Python sample in a
# loop (one request at a time), krest bench, krest load/tail, and wrk replaying equivalent bodies.
# Prints a Markdown table. Usage: bench/run_clients_bench.sh [seconds] [repeats]   (defaults 5, 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-5}
repeats=${2:-3}
proxy=build-release/apps/krest-proxy
krest=build-release/apps/krest
work=$(mktemp -d)
source bench/lib.sh
trap cleanup EXIT
threads=2
conns=8

start_proxy clients --durability none
ca=$work/clients/tls/cert.pem
kflags=(--endpoint "$url" --ca-file "$ca")
"$krest" topics create base --partitions 1 "${kflags[@]}" 2> /dev/null
"$krest" topics create bench --partitions 4 "${kflags[@]}" 2> /dev/null
write_produce_body "$work/produce.json"
export KREST_BENCH_BODY=$work/produce.json
awk 'BEGIN { pad = sprintf("%093d", 0); for (i = 0; i < 2000000; i++) printf "r%06d%s\n", i % 1000000, pad }' > "$work/records.txt"

records_per_s() { sed -n 's/.*records_per_s=\([0-9.]*\).*/\1/p'; }
json_rate() { python3 -c 'import json,sys; print(int(json.load(sys.stdin)["records_per_second"]))'; }
declare -A r
for round in $(seq "$repeats"); do
  r[py_p]+="$(/usr/bin/python3 bench/python/sequential_sample.py produce "$url" "$ca" base "$secs" | records_per_s);"
  r[bench_p]+="$("$krest" bench produce --topic bench --duration "$secs" --batch 500 --in-flight "$conns" --json "${kflags[@]}" 2> /dev/null | json_rate);"
  t0=$(date +%s.%N)
  "$krest" load "$work/records.txt" --topic bench "${kflags[@]}" 2> /dev/null
  r[load]+="$(echo "2000000 / ($(date +%s.%N) - $t0)" | bc);"
  r[wrk_p]+="$(printf '%.0f' "$(echo "$(run_wrk "$url/v1/producer/topics/bench" bench/wrk/produce.lua | cut -d' ' -f1) * 500" | bc)");"
  r[py_c]+="$(/usr/bin/python3 bench/python/sequential_sample.py consume "$url" "$ca" base "$secs" | records_per_s);"
  r[bench_c]+="$("$krest" bench consume --topic bench --duration "$secs" --batch 500 --in-flight "$conns" --json "${kflags[@]}" 2> /dev/null | json_rate);"
  t0=$(date +%s.%N)
  n=$("$krest" tail --topic bench --from earliest --exit-at-end --format '%o\n' "${kflags[@]}" | wc -l)
  r[tail]+="$(echo "$n / ($(date +%s.%N) - $t0)" | bc);"
done
m() { median 1 <<< "${r[$1]}"; }
ratio() { printf '%.0fx' "$(echo "$1 / $2" | bc -l)"; }
ratio2() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
echo "| client | produce records/s | vs Python sample | consume records/s | vs Python sample |"
echo "|---|---:|---:|---:|---:|"
echo "| Python sample in a loop (requests, one at a time; 6 / 10 records per request) | $(m py_p) | 1x | $(m py_c) | 1x |"
echo "| krest bench ($conns in flight, 500 records per request) | $(m bench_p) | $(ratio "$(m bench_p)" "$(m py_p)") | $(m bench_c) | $(ratio "$(m bench_c)" "$(m py_c)") |"
echo "| krest load (a 2,000,000-line file) / krest tail --exit-at-end | $(m load) | $(ratio "$(m load)" "$(m py_p)") | $(m tail) | $(ratio "$(m tail)" "$(m py_c)") |"
echo "| wrk replaying a 500-record body ($conns connections) | $(m wrk_p) | $(ratio "$(m wrk_p)" "$(m py_p)") | | |"
echo
echo "krest bench produce / wrk: $(ratio2 "$(m bench_p)" "$(m wrk_p)"); krest load / wrk: $(ratio2 "$(m load)" "$(m wrk_p)")."
