#!/usr/bin/env bash
# The main job on one machine: start a local krest-proxy on the embedded log, load a file into a
# topic with `krest load`, tail it back with `krest tail`, and print a summary.
# Usage: scripts/demo.sh [FILE] (default: 500,000 generated NDJSON events); a FILE is loaded one
# record per line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKREST_BUILD_TESTS=OFF > /dev/null
cmake --build build -j "$(nproc)" --target krest-proxy krest

work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Authentication on, as in production: the proxy's development authority registers one application
# in an allowed group, and stores only a hash of its fresh random secret.
KREST_CLIENT_SECRET=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
export KREST_CLIENT_SECRET
hash=$(printf '%s' "$KREST_CLIENT_SECRET" | build/apps/krest-proxy --hash-secret)
printf '{"tenant": "krest-dev", "applications": [{"name": "demo", "client_id": "krest-demo", "secret_hash": "%s", "groups": ["kafka-writers"]}]}\n' \
  "$hash" > "$work/authority.json"
build/apps/krest-proxy --listen 127.0.0.1:0 --data-dir "$work/data" --authority-file "$work/authority.json" \
  --auth-allowed-groups kafka-writers > "$work/proxy.out" 2> "$work/proxy.log" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/proxy.out" && break; sleep 0.1; done
url=$(sed -n 's/^krest-proxy listening on //p' "$work/proxy.out")
authority=$(sed -n 's/^krest-proxy authority at //p' "$work/proxy.out")
[[ -n "$url" ]] || { echo "krest-proxy did not start:"; cat "$work/proxy.log"; exit 1; }
echo "krest-proxy listening on $url (log: $work/proxy.log)"

# The krest CLI finds the proxy and its credentials in the environment (the secret never goes on a
# command line); it trusts the proxy's self-signed certificate as its CA.
export KREST_ENDPOINT=$url KREST_CA_FILE=$work/data/tls/cert.pem KREST_CLIENT_ID=krest-demo
export KREST_TENANT=krest-dev KREST_AUTHORITY=$authority
krest=build/apps/krest

if [[ -n "${1:-}" ]]; then
  input=$1
  format=lines
else
  input=$work/events.ndjson
  format=ndjson
  python3 -c '
import json, random, sys
random.seed(7)
out = sys.stdout
for i in range(500000):
    out.write(json.dumps({"id": i, "user": "user-%d" % random.randrange(1000),
                          "action": random.choice(["view", "click", "buy"]), "amount": random.randrange(10000)}) + "\n")
' > "$input"
fi
lines=$(wc -l < "$input")

"$krest" topics create demo --partitions 3
echo "== krest load: $lines lines of $input"
key=()
[[ $format == ndjson ]] && key=(--key-field /user)
"$krest" load "$input" --topic demo --format "$format" "${key[@]}" --reject-file "$work/rejects.ndjson"
echo "== krest tail: the topic back, from the beginning until caught up"
start=$(date +%s%N)
"$krest" tail --topic demo --from earliest --exit-at-end --output "$work/tail.ndjson"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "== topic"
"$krest" topics describe demo
back=$(wc -l < "$work/tail.ndjson")
echo "== summary"
echo "loaded $lines lines; tailed back $back records in $ms ms; first record:"
head -1 "$work/tail.ndjson"
[[ $back -eq $lines ]] || { echo "MISMATCH: $back records back for $lines lines"; exit 1; }
echo "every line came back"
