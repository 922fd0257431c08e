# Sourced by the krest CLI tests: a real krest-proxy on 127.0.0.1 (see start_proxy.sh) and the
# KREST_* variables that point the krest binary at it, with client-credentials auth.
# Usage: source cli_env.sh PROXY_BIN KREST_BIN
proxy_bin=$1
krest=$2
source "$(dirname "${BASH_SOURCE[0]}")/../clients/start_proxy.sh"
start_proxy "$proxy_bin" krest-test cli-app
export KREST_ENDPOINT=$url KREST_CA_FILE=$ca KREST_TENANT=krest-test KREST_CLIENT_ID=cli-app
export KREST_AUTHORITY=${url/127.0.0.1/localhost}/krest-test KREST_CLIENT_SECRET=$secret
cd "$dir"

fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

# kill -9 the proxy and start it again on the same port and data directory; arguments are added
# to its command line.
restart_proxy() {
  local port=${url##*:}
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  "$proxy_bin" --listen "127.0.0.1:$port" --data-dir "$dir/data" --authority-file "$dir/authority.json" \
    --auth-allowed-groups g "$@" > "$dir/out" 2>> "$dir/err" &
  pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$dir/out" && return 0; sleep 0.1; done
  fail "the proxy did not come back: $(tail -5 "$dir/err")"
}

# SIGINT to a background process, then waits for it at most `seconds`: a hang fails the test with
# the end of what it printed, instead of running into ctest's timeout. Returns its exit status.
interrupt_and_wait() {  # pid seconds stderr-file
  kill -INT "$1"
  for _ in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then
    kill -9 "$1"
    fail "pid $1 did not stop within $2 s of SIGINT: $(tail -5 "$3")"
  fi
  wait "$1"
}

# Runs a command that must fail with `code` and exactly one line on stderr containing `text`.
expect_usage() {
  local code=$1 text=$2; shift 2
  local err rc=0
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" = "$code" ] || fail "$* exited $rc, not $code: $err"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$* printed more than one line: $err"
  grep -qF -- "$text" <<< "$err" || fail "$*: expected '$text' in: $err"
}
