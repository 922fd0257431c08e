#!/usr/bin/env bash
# The main job on one machine: start a local krest-proxy on the embedded log, load a file into a
# topic, tail it back, and print a summary. Usage: scripts/demo.sh [FILE] (default: a generated one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKREST_BUILD_TESTS=OFF > /dev/null
cmake --build build -j "$(nproc)" --target krest-proxy

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

# Until the krest CLI lands (issue 5: krest load / krest tail), the loader and tailer are a small
# Python client of the API, run with Debian's python3-requests.
/usr/bin/python3 scripts/demo_client.py --url "$url" --ca "$work/data/tls/cert.pem" --authority "$authority" \
  --client-id krest-demo ${1:+--file "$1"}
