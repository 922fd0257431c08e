#!/usr/bin/env bash
# Clock skew between running processes: libfaketime moves the time of day of a real krest or
# krest-proxy process (its monotonic clock stays real, as NTP steps leave it).
# - krest's clock hours ahead or behind: tokens are refreshed by their expires_in on krest's own
#   steady clock, so a load across several token lifetimes uses no expired token and retries nothing;
# - the authority's clock off by less than the API proxy's tolerance: tokens accepted; by more
#   (ahead or behind): refused with a 401 that says by how much and asks about the clocks, and
#   krest stops on it with that message, having stored nothing.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"
# The library itself rather than the faketime wrapper, so that $! is the skewed process (and
# not through a function either: `f &` forks a subshell).
libfaketime=$(find /usr/lib -name libfaketimeMT.so.1 2> /dev/null | head -1)
[ -n "$libfaketime" ] || fail "libfaketime is not installed (scripts/setup.sh installs faketime)"
# libfaketime moves absolute timerfd times on the monotonic clock too, which stops Asio's timers
# now and then (tests/cli/timerfd_passthrough.cpp says how): the pass-through goes first.
timerfd_passthrough=${3:?the timerfd pass-through library (tests/CMakeLists.txt passes it)}
skewed() {  # OFFSET COMMAND...: runs COMMAND with its time of day moved by OFFSET (+3h, -10m, ...)
  local offset=$1; shift
  LD_PRELOAD=$timerfd_passthrough:$libfaketime FAKETIME=$offset "$@"
}
export FAKETIME_DONT_FAKE_MONOTONIC=1
# libfaketime is preloaded ahead of ASan's runtime, which by default refuses to start then.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

metric() {  # the value of one sample on the API proxy's /metrics
  curl -s --cacert "$ca" "$url/metrics" | awk -v name="$1" '$1 == name { print $2 }'
}
rejected_401() { metric 'krest_proxy_auth_rejected_total{status="401"}'; }
verifications() { metric 'krest_proxy_auth_verifications_total'; }

# 1. krest's clock off by hours, 3-second tokens, an 8-second paced load.
python3 - "$dir/authority.json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1])); a["token_lifetime_s"] = 3; json.dump(a, open(sys.argv[1], "w"))
EOF
restart_proxy
"$krest" topics create skew --partitions 1 2>> cli.err
seq 1 1200 > in.txt
for offset in +3h -3h; do
  refused_before=$(rejected_401)
  tokens_before=$(verifications)
  skewed "$offset" "$krest" load in.txt -t skew --rate 150 --json > load.json 2> load.err ||
    fail "krest with its clock $offset failed: $(cat load.err)"
  python3 - load.json "$offset" <<'EOF' || fail "load with the clock $offset: $(cat load.json)"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["records"] == 1200 and s["retries"] == 0, s
EOF
  tokens=$(( $(verifications) - tokens_before ))
  # about one token per 2-3 s of an 8-second load; hundreds would mean the skewed clock made every
  # token look expired, none would mean an expired token was kept
  [ "$tokens" -ge 3 ] && [ "$tokens" -le 12 ] || fail "with the clock $offset krest used $tokens tokens in 8 s"
  [ "$(rejected_401)" = "$refused_before" ] || fail "with the clock $offset the proxy refused tokens"
done
ok "krest with its clock 3 hours ahead or behind refreshes its 3-second tokens in time: no 401, no retry"

# 2. The authority on its own, with its clock moved; the API proxy checks its tokens.
authority_dir=$dir/authority
mkdir -p "$authority_dir"
authority_pid=""
# Whatever happens, the authority goes with the test, as the API proxy does.
trap 'kill $authority_pid $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
start_authority() {  # OFFSET: starts the authority-only krest-proxy, sets authority_url
  "$proxy_bin" --listen 127.0.0.1:0 --data-dir "$authority_dir" --authority-file "$dir/authority.json" \
    --serve-api=false > "$authority_dir/out" 2> "$authority_dir/err" &
  authority_pid=$!
  wait_listening "$authority_dir/out"
  authority_url=$(sed -n 's/^krest-proxy listening on //p' "$authority_dir/out")
}
wait_listening() {
  for _ in $(seq 100); do grep -q 'listening on' "$1" && return 0; sleep 0.1; done
  fail "a proxy did not start: $(cat "${1%out}err")"
}
stop_authority() {
  kill "$authority_pid"
  wait "$authority_pid" 2>/dev/null || true
  authority_pid=""
}
# Its certificate made once with the real clock, so that TLS itself is not what the skew breaks.
start_authority
stop_authority
authority_port=${authority_url##*:}
cat "$ca" "$authority_dir/tls/cert.pem" > both.pem

python3 - "$dir/authority.json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1])); a["token_lifetime_s"] = 120; json.dump(a, open(sys.argv[1], "w"))
EOF
api_port=${url##*:}
# The API proxy: real clock, tokens from the authority, the default tolerance of 60 s unless given.
start_api() {
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  : > "$dir/out"
  "$proxy_bin" --listen "127.0.0.1:$api_port" --data-dir "$dir/data" --auth-allowed-groups g \
    --auth-authority "https://localhost:$authority_port/krest-test" --auth-ca-file "$authority_dir/tls/cert.pem" \
    "$@" > "$dir/out" 2>> "$dir/err" &
  pid=$!
  wait_listening "$dir/out"
}
# The authority again on the port the API proxy knows, its clock moved by OFFSET.
start_skewed_authority() {
  : > "$authority_dir/out"
  LD_PRELOAD=$timerfd_passthrough:$libfaketime FAKETIME=$1 "$proxy_bin" --listen "127.0.0.1:$authority_port" --data-dir "$authority_dir" \
    --authority-file "$dir/authority.json" --serve-api=false > "$authority_dir/out" 2> "$authority_dir/err" &
  authority_pid=$!
  wait_listening "$authority_dir/out"
}
export KREST_AUTHORITY=https://localhost:$authority_port/krest-test KREST_CA_FILE=$dir/both.pem
seq 1 50 > small.txt

# (the authority first: the API proxy fetches its keys when it starts)
start_skewed_authority +40s
start_api
"$krest" load small.txt -t skew 2> load.err || fail "tokens 40 s ahead were refused: $(cat load.err)"
ok "tokens from an authority 40 s ahead are accepted within the 60 s tolerance"
start_api --auth-clock-skew-s 0
rc=0; "$krest" load small.txt -t skew 2> load.err || rc=$?
[ $rc = 1 ] || fail "with no tolerance, tokens 40 s ahead gave exit $rc: $(cat load.err)"
grep -q "not valid yet (its nbf is 4[01] s ahead of this server's clock, tolerance 0 s" load.err ||
  fail "the refusal does not say how far off the clocks are: $(cat load.err)"
ok "with no tolerance they are refused, and the message says they are 40 s ahead"
stop_authority

for offset in +10m -10m; do
  start_skewed_authority "$offset"
  start_api
  rc=0; "$krest" load small.txt -t skew --json > load.json 2> load.err || rc=$?
  [ $rc = 1 ] || fail "tokens from an authority $offset gave exit $rc: $(cat load.err)"
  case $offset in
    +*) grep -q "not valid yet (its nbf is 6[01][0-9] s ahead" load.err ;;
    -*) grep -q "expired (4[89][0-9] s ago by this server's clock, tolerance 60 s)" load.err ;;
  esac || fail "the refusal of tokens $offset does not say how far off: $(cat load.err)"
  [ "$(head -c 200 load.err | wc -l)" -le 3 ] || fail "the refusal is not short: $(cat load.err)"
  stop_authority
done
ok "tokens from an authority 10 minutes ahead or behind are refused, saying how far off"

# The refused loads stored nothing: the topic holds the 2 x 1200 + 50 accepted records.
start_skewed_authority +0s
start_api
count=$("$krest" tail -t skew --from earliest --exit-at-end --format value 2>> cli.err | wc -l)
[ "$count" = 2450 ] || fail "the topic holds $count records, not 2450"
stop_authority
ok "the refused loads stored nothing"
echo "passed: $passed"
