#!/usr/bin/env bash
# krest load of a large NDJSON file: resident memory (peak) and throughput. Prints a Markdown table.
# Usage: bench/run_cli_bench.sh [gigabytes]   (default 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
proxy=build-release/apps/krest-proxy
krest=build-release/apps/krest
work=$(mktemp -d)
source bench/lib.sh
trap cleanup EXIT

gigabytes=${1:-2}
# Records of 215 bytes, a JSON object with a key field as an event stream would have, enough of
# them for the file to reach GIGABYTES GiB.
lines=$((gigabytes * 1024 * 1024 * 1024 / 215 + 1))
awk -v n="$lines" 'BEGIN {
  pad = sprintf("%0159d", 0); gsub("0", "x", pad)
  for (i = 0; i < n; i++) printf "{\"id\":%d,\"user\":\"user-%d\",\"pad\":\"%s\",\"n\":%9d}\n", i, i % 1000, pad, i
}' > "$work/big.ndjson"
bytes=$(stat -c %s "$work/big.ndjson")

start_proxy load --durability interval
"$krest" topics create big --partitions 4 --endpoint "$url" --ca-file "$work/load/tls/cert.pem" 2> /dev/null
# GNU time's %M is the peak resident set size in KiB.
/usr/bin/time -f '%M %e' -o "$work/time.txt" "$krest" load "$work/big.ndjson" --topic big --format ndjson \
  --key-field /user --json --endpoint "$url" --ca-file "$work/load/tls/cert.pem" > "$work/summary.json" 2> "$work/load.err"
read -r rss_kib elapsed < "$work/time.txt"
summary=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("%d %.0f %.1f" % (d["records"], d["records_per_second"], d["mb_per_second"]))' "$work/summary.json")
read -r records rps mbps <<< "$summary"
[[ $records -eq $lines ]] || { echo "krest load acknowledged $records of $lines records" >&2; exit 1; }

echo "| input | records | krest load peak RSS | records/s | MB/s | wall s |"
echo "|---|---:|---:|---:|---:|---:|"
printf '| NDJSON, %.2f GiB | %s | %s MiB | %s | %s | %s |\n' "$(echo "$bytes / 1073741824" | bc -l)" \
  "$records" "$((rss_kib / 1024))" "$rps" "$mbps" "$elapsed"
