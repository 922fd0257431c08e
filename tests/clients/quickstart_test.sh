#!/usr/bin/env bash
# docs/examples/quickstart.cpp against a real krest-proxy with its development authority: the
# example in the docs must run as written.
set -euo pipefail
proxy_bin=$1
quickstart=$2
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
secret="quickstart-secret-$RANDOM$RANDOM$RANDOM"
hash=$(printf '%s' "$secret" | "$proxy_bin" --hash-secret)
printf '{"tenant":"contoso","applications":[{"client_id":"quickstart","secret_hash":"%s","groups":["g"]}]}' "$hash" > "$dir/authority.json"
"$proxy_bin" --listen 127.0.0.1:0 --data-dir "$dir/data" --authority-file "$dir/authority.json" \
  --auth-allowed-groups g > "$dir/out" 2> "$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$dir/out" && break; sleep 0.1; done
url=$(sed -n 's/^krest-proxy listening on //p' "$dir/out")
[ -n "$url" ] || { echo "proxy did not start"; cat "$dir/err"; exit 1; }
export KREST_ENDPOINT=$url KREST_CA_FILE=$dir/data/tls/cert.pem KREST_TENANT=contoso KREST_CLIENT_ID=quickstart
export KREST_CLIENT_SECRET=$secret KREST_AUTHORITY="${url/127.0.0.1/localhost}/{tenant}"
out=$("$quickstart")
echo "$out"
fail() { echo "FAIL: $*"; exit 1; }
grep -q '^produced 10 records$' <<< "$out" || fail "not every record was produced"
[ "$(grep -c '^quickstart/' <<< "$out")" = 10 ] || fail "not every record was consumed once"
grep -q 'sensor-1 = {"reading":4}' <<< "$out" || fail "a record came back changed"
[ "$(grep -c '^partition ' <<< "$out")" = 3 ] || fail "three partitions expected"
# Run again: the topic exists (409 is handled), and now 20 records come back.
[ "$("$quickstart" | grep -c '^quickstart/')" = 20 ] || fail "second run"
# A wrong secret is a clear failure, not a hang, and the secret is not printed.
if err=$(KREST_CLIENT_SECRET=wrong-secret-0123456789 "$quickstart" 2>&1); then fail "a wrong secret worked"; fi
grep -q 'invalid_client' <<< "$err" || fail "unclear error: $err"
if grep -q 'wrong-secret' <<< "$err"; then fail "the secret was printed"; fi
echo "1 passed, 0 failed"
