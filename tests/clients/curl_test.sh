#!/usr/bin/env bash
# curl against a real krest-proxy over TLS, as a user would call HDInsight's proxy.
set -euo pipefail
proxy_bin=$1
source "$(dirname "$0")/start_proxy.sh"
start_proxy "$proxy_bin" contoso curl-app
fail() { echo "FAIL: $*"; exit 1; }
# The token request exactly as the HDInsight documentation's curl sample makes it.
token=$(curl -sS --fail-with-body --cacert "$dir/data/tls/cert.pem" -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
  -d "client_id=curl-app&client_secret=$secret&grant_type=client_credentials&scope=https://hib.azurehdinsight.net/.default" \
  "${url/127.0.0.1/localhost}/contoso/oauth2/v2.0/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
[ -n "$token" ] || fail token
c=(curl -sS --fail-with-body --cacert "$dir/data/tls/cert.pem" -H "Authorization: Bearer $token" -H 'Content-Type: application/json')

"${c[@]}" -X PUT "$url/v1/topics/curl" -d '{"partition_count":2}' | grep -q '"topic":"curl"' || fail create
"${c[@]}" "$url/v1/metadata/topics" | grep -q '"curl"' || fail list
# A body over 1 KiB makes curl send Expect: 100-continue; the proxy must answer it at once.
big=$(python3 -c 'import json; print(json.dumps({"records":[{"key":"k%d"%i,"value":"x"*100} for i in range(50)]}))')
start=$(date +%s%N)
"${c[@]}" -X POST "$url/v1/producer/topics/curl" --data-binary "$big" | grep -q '"offsets"' || fail produce
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -lt 900 ] || fail "produce took ${elapsed_ms} ms: Expect: 100-continue not answered"
headers=$("${c[@]}" -D - -o "$dir/body" "$url/v1/consumer/topics/curl/partitions/0/offsets/0?count=1000")
grep -qi '^NextOffset: [1-9]' <<< "$headers" || fail "no NextOffset header: $headers"
grep -q '"timestampType":"CreateTime"' "$dir/body" || fail consume
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$dir/data/tls/cert.pem" -H "Authorization: Bearer $token" "$url/v1/metadata/topics/none/partitions")
[ "$code" = 404 ] || fail "expected 404, got $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$dir/data/tls/cert.pem" "$url/v1/metadata/topics")
[ "$code" = 401 ] || fail "expected 401 without a token, got $code"
# Verification is real: without the CA file curl must refuse the self-signed certificate.
if curl -sS -o /dev/null "$url/v1/status" 2>/dev/null; then fail "curl accepted an unknown certificate"; fi
echo "1 passed, 0 failed"
