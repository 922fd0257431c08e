#!/usr/bin/env bash
# Security checks against a real krest-proxy and the real krest binary: secrets never appear in
# logs, errors or metrics; TLS below 1.2 is refused; a token pointing at its own key URL (jku/x5u)
# makes the proxy fetch nothing; topic names cannot reach outside the data directory.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"

# Secrets: a load, a tail, a refused secret and a bad token, then look everywhere for them.
"$krest" topics create s --partitions 1 2>> cli.err
seq 1 100 > in.txt
"$krest" load in.txt -t s 2>> cli.err
"$krest" tail -t s --from earliest -e --metrics-port 0 --stats-interval 0.2 > /dev/null 2>> cli.err
rc=0; KREST_CLIENT_SECRET=wrong-secret-value-123 "$krest" topics list 2>> cli.err || rc=$?
[ $rc = 1 ] || fail "a wrong secret exited $rc"
curl -s --cacert "$ca" "$url/metrics" > metrics.txt
for needle in "$secret" wrong-secret-value-123; do
  for f in cli.err "$dir/err" metrics.txt; do
    ! grep -qF -- "$needle" "$f" || fail "a secret shows in $f"
  done
done
grep -q "invalid_client" cli.err || fail "the refused secret's error does not say why: $(cat cli.err)"
ok "client secrets appear in no log, error message or metric"

# TLS: 1.0 and 1.1 refused, 1.2 and 1.3 accepted.
host_port=${url#https://}
for v in tls1 tls1_1; do
  # SECLEVEL=0 lets this client offer the old versions: a refusal is the server's.
  if openssl s_client -connect "$host_port" -"$v" -cipher 'DEFAULT:@SECLEVEL=0' < /dev/null > /dev/null 2>&1; then
    fail "TLS ($v) accepted"
  fi
done
for v in tls1_2 tls1_3; do
  openssl s_client -connect "$host_port" -"$v" < /dev/null > tls.out 2>&1 || fail "TLS ($v) refused: $(tail -3 tls.out)"
done
ok "TLS 1.0 and 1.1 refused, 1.2 and 1.3 accepted"

# A token whose header names a key URL: the proxy must not fetch it, and refuses the token.
python3 -m http.server 0 --bind 127.0.0.1 > http.out 2> http.log &
web=$!
for _ in $(seq 50); do grep -q "port" http.out 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' http.out | head -1)
[ -n "$port" ] || fail "no local HTTP server"
token=$(python3 - "$port" <<'PY'
import base64, json, sys, time
b = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
p = sys.argv[1]
head = {"alg": "RS256", "typ": "JWT", "kid": "attacker",
        "jku": f"http://127.0.0.1:{p}/jwks.json", "x5u": f"http://127.0.0.1:{p}/cert.pem"}
claims = {"iss": "https://attacker", "aud": "https://hib.azurehdinsight.net", "exp": int(time.time()) + 600,
          "groups": ["g"]}
print(b(head) + "." + b(claims) + "." + base64.urlsafe_b64encode(b"x" * 256).rstrip(b"=").decode())
PY
)
code=$(curl -s -o body.json -w '%{http_code}' --cacert "$ca" -H "Authorization: Bearer $token" "$url/v1/metadata/topics")
kill $web 2>/dev/null || true
[ "$code" = 401 ] || fail "a token with jku/x5u got $code: $(cat body.json)"
! grep -q "GET /" http.log || fail "the proxy fetched an attacker's URL: $(cat http.log)"
ok "a token naming its own key URL is refused, and the URL is never fetched"

# Topic names cannot leave the data directory, however they are encoded.
auth=(-H "Authorization: Bearer $(curl -s --cacert "$ca" "${url/127.0.0.1/localhost}/krest-test/oauth2/v2.0/token" \
  -d grant_type=client_credentials -d client_id=cli-app --data-urlencode "client_secret=$secret" \
  -d scope=https://hib.azurehdinsight.net/.default | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')")
for name in '..' '%2e%2e' '..%2F..%2Fetc' 'a%2Fb' '%2F' '.' 'x%00y'; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "${auth[@]}" -X PUT "$url/v1/topics/$name" -d '{}')
  [ "$code" = 400 ] || [ "$code" = 404 ] || fail "topic name '$name' got $code"
done
[ -z "$(find "$dir" -maxdepth 3 -newer in.txt -name 'etc' -o -maxdepth 3 -newer in.txt -name 'b')" ] || fail "a file appeared outside the topics"
ok "topic names with dots, slashes or NULs in any encoding are refused"
echo "$passed passed, 0 failed"
