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

build/apps/krest-proxy --listen 127.0.0.1:0 --data-dir "$work/data" > "$work/proxy.out" 2> "$work/proxy.log" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/proxy.out" && break; sleep 0.1; done
url=$(sed -n 's/^krest-proxy listening on //p' "$work/proxy.out")
[[ -n "$url" ]] || { echo "krest-proxy did not start:"; cat "$work/proxy.log"; exit 1; }
echo "krest-proxy listening on $url (log: $work/proxy.log)"

# Until the krest CLI lands (issue 5: krest load / krest tail), the loader and tailer are a small
# Python client of the API, run with Debian's python3-requests.
/usr/bin/python3 scripts/demo_client.py --url "$url" --ca "$work/data/tls/cert.pem" ${1:+--file "$1"}
