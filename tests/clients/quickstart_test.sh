#!/usr/bin/env bash
# docs/examples/quickstart.cpp against a real krest-proxy with its development authority: the
# example in the docs must run as written.
set -euo pipefail
proxy_bin=$1
quickstart=$2
source "$(dirname "$0")/start_proxy.sh"
start_proxy "$proxy_bin" contoso quickstart
export KREST_ENDPOINT=$url KREST_CA_FILE=$ca KREST_TENANT=contoso KREST_CLIENT_ID=quickstart
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
