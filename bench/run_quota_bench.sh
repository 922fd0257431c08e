#!/usr/bin/env bash
# Quotas per caller under a real offer: one application held to a request quota sends as fast as it
# can, while another, with no quota, sends at a fixed rate, first alone, then beside it. Both get
# tokens from krest-proxy's development authority and run `krest bench`. Prints a Markdown table:
# the calm caller's rate and latency alone and beside the greedy one, and what the greedy one got.
# Usage: bench/run_quota_bench.sh [calm requests/s] [greedy quota, requests/s] [seconds]   (defaults 400, 200, 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
calm_rate=${1:-400}
quota=${2:-200}
secs=${3:-10}
proxy=build-release/apps/krest-proxy
krest=build-release/apps/krest
work=$(mktemp -d)
source bench/lib.sh
trap cleanup EXIT

secret=bench-secret-0123456789abcdef
hash=$(printf '%s' "$secret" | "$proxy" --hash-secret)
printf '{"tenant":"bench","applications":[%s,%s]}\n' \
  "{\"client_id\":\"calm-app\",\"secret_hash\":\"$hash\",\"groups\":[\"g\"]}" \
  "{\"client_id\":\"greedy-app\",\"secret_hash\":\"$hash\",\"groups\":[\"g\"]}" > "$work/authority.json"
auth_flags=(--authority-file "$work/authority.json" --auth-allowed-groups g)
start_proxy quota --quota-callers "greedy-app requests_per_s=$quota"
printf '%s' "$secret" > "$work/secret"
export KREST_ENDPOINT=$url KREST_CA_FILE=$work/quota/tls/cert.pem KREST_TENANT=bench \
  KREST_AUTHORITY="$url/{tenant}" KREST_CLIENT_SECRET_FILE=$work/secret
bench() {  # $1: client id, rest: krest bench flags; the JSON result on stdout
  KREST_CLIENT_ID=$1 "$krest" bench produce -t q --partitions 6 -b 50 --progress never --json "${@:2}" 2> /dev/null
}

bench calm-app -r "$calm_rate" -d "$secs" > "$work/alone.json" || true
# The greedy caller starts first and ends last: the calm one's second run is wholly beside it.
bench greedy-app -w 16 -d "$((secs + 4))" > "$work/greedy.json" &
greedy=$!
pids+=("$greedy")
sleep 2
bench calm-app -r "$calm_rate" -d "$secs" > "$work/beside.json" || true
wait "$greedy" || true

python3 - "$work" "$calm_rate" "$quota" << 'PY'
import json, sys
work, calm_rate, quota = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def load(name):
    r = json.load(open(f"{work}/{name}.json"))
    return r, r["requests_per_second"], r["latency"]
alone, alone_rate, alone_lat = load("alone")
beside, beside_rate, beside_lat = load("beside")
greedy, _, _ = load("greedy")
ok = greedy["requests"] - greedy["failed"]
print(f"| calm caller (no quota), fixed {calm_rate:.0f} requests/s | alone | beside the greedy caller | ratio |")
print("|---|---:|---:|---:|")
print(f"| requests/s | {alone_rate:.1f} | {beside_rate:.1f} | {beside_rate / alone_rate:.3f} |")
print(f"| p50 ms | {alone_lat['p50_ms']:.2f} | {beside_lat['p50_ms']:.2f} | |")
print(f"| p99 ms | {alone_lat['p99_ms']:.2f} | {beside_lat['p99_ms']:.2f} | |")
print(f"| failed requests | {alone['failed']} | {beside['failed']} | |")
print()
print(f"Greedy caller (quota {quota:.0f} requests/s, 16 requests in flight, {greedy['seconds']:.0f} s): "
      f"{greedy['requests']} requests, {ok} let in ({ok / greedy['seconds']:.1f}/s), "
      f"{greedy['failed']} refused with 429.")
PY
