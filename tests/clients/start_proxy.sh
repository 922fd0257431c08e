# Sourced by the client tests: starts a krest-proxy on 127.0.0.1 (port 0) whose development
# authority registers one application in group "g", with a fresh secret stored only as a hash, and
# stops it when the test exits. Usage: start_proxy PROXY_BIN TENANT CLIENT_ID
# Sets: dir (scratch directory), url, secret, ca (the proxy's certificate).
start_proxy() {
  local proxy_bin=$1 tenant=$2 client_id=$3
  dir=$(mktemp -d)
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
  secret="$client_id-secret-$RANDOM$RANDOM$RANDOM"
  local hash
  hash=$(printf '%s' "$secret" | "$proxy_bin" --hash-secret)
  printf '{"tenant":"%s","applications":[{"client_id":"%s","secret_hash":"%s","groups":["g"]}]}' \
    "$tenant" "$client_id" "$hash" > "$dir/authority.json"
  "$proxy_bin" --listen 127.0.0.1:0 --data-dir "$dir/data" --authority-file "$dir/authority.json" \
    --auth-allowed-groups g > "$dir/out" 2> "$dir/err" &
  pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$dir/out" && break; sleep 0.1; done
  url=$(sed -n 's/^krest-proxy listening on //p' "$dir/out")
  [ -n "$url" ] || { echo "proxy did not start"; cat "$dir/err"; exit 1; }
  ca=$dir/data/tls/cert.pem
}
