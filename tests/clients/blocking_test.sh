#!/usr/bin/env bash
# docs/examples/blocking.cpp against a real krest-proxy: krest::sync from four threads at once (the
# ThreadSanitizer build runs it too), every record produced and read back.
set -euo pipefail
proxy_bin=$1
blocking=$2
source "$(dirname "$0")/start_proxy.sh"
start_proxy "$proxy_bin" contoso blocking
export KREST_ENDPOINT=$url KREST_CA_FILE=$ca KREST_TENANT=contoso KREST_CLIENT_ID=blocking
export KREST_CLIENT_SECRET=$secret KREST_AUTHORITY="${url/127.0.0.1/localhost}/{tenant}"
fail() { echo "FAIL: $*"; exit 1; }
out=$("$blocking") || fail "the blocking example failed: $out"
echo "$out"
grep -q '^produced 1000 records$' <<< "$out" && grep -q '^consumed 1000 records$' <<< "$out" || fail "first run: $out"
# Again: the topic exists (409 is fine), and now 2,000 records come back.
out=$("$blocking") || fail "second run failed: $out"
grep -q '^consumed 2000 records$' <<< "$out" || fail "second run: $out"
# A wrong secret: a clear error and exit 1, not a hang.
if err=$(KREST_CLIENT_SECRET=wrong-secret-0123456789 timeout 60 "$blocking" 2>&1); then fail "a wrong secret worked"; fi
grep -q 'invalid_client' <<< "$err" || fail "unclear error: $err"
echo "1 passed, 0 failed"
