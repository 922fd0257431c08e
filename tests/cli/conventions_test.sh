#!/usr/bin/env bash
# The conventions a newcomer relies on, for every subcommand: a flag beats its KREST_* variable,
# which beats the --config profile; the exit codes of docs/CLI.md's table; connection errors that
# say what to do; kcat's words for offsets; a token authority that is down is said to be awaited.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"
k=("$krest")

"$krest" topics create t --partitions 2 2>/dev/null
printf 'a\nb\nc\nd\n' > f.txt
"$krest" load f.txt -t t --partition 0 2>/dev/null
bad=https://127.0.0.1:1
# Every subcommand, as a user would call it, reaching the proxy and succeeding.
commands=(
  "topics list"
  "topics describe t"
  "load f.txt -t t"
  "tail -t t -o beginning -e"
  "produce -t t x"
  "consume -t t"
  "bench produce -t t -n 20 --progress never"
)

# 1. Precedence, for every subcommand: flag > environment > --config profile > default.
echo "{\"endpoint\": \"$bad\"}" > bad-profile.json
for c in "${commands[@]}"; do
  # shellcheck disable=SC2086
  KREST_ENDPOINT=$bad "$krest" $c --endpoint "$url" > /dev/null 2>err.txt || fail "$c: --endpoint did not beat KREST_ENDPOINT: $(cat err.txt)"
  rc=0
  # shellcheck disable=SC2086
  "$krest" $c --endpoint "$bad" > /dev/null 2>err.txt || rc=$?
  [ "$rc" = 1 ] && grep -q "127.0.0.1:1" err.txt || fail "$c: --endpoint $bad did not win over KREST_ENDPOINT (exit $rc): $(cat err.txt)"
  # shellcheck disable=SC2086
  "$krest" $c --config bad-profile.json > /dev/null 2>err.txt || fail "$c: KREST_ENDPOINT did not beat the profile: $(cat err.txt)"
  # shellcheck disable=SC2086
  KREST_CLIENT_ID=outsider "$krest" $c --client-id cli-app > /dev/null 2>err.txt || fail "$c: --client-id did not beat KREST_CLIENT_ID: $(cat err.txt)"
  # shellcheck disable=SC2086
  KREST_CA_FILE=/nonexistent "$krest" $c --ca-file "$ca" > /dev/null 2>err.txt || fail "$c: --ca-file did not beat KREST_CA_FILE: $(cat err.txt)"
done
ok "flag > KREST_* > --config for ${#commands[@]} subcommands"

# --insecure is a switch, and KREST_INSECURE=1 the same.
env -u KREST_CA_FILE "$krest" topics list --insecure > /dev/null 2>err.txt || fail "--insecure: $(cat err.txt)"
env -u KREST_CA_FILE KREST_INSECURE=1 "$krest" topics list > /dev/null 2>err.txt || fail "KREST_INSECURE=1: $(cat err.txt)"
ok "--insecure is a switch"

# 2. The exit code table, for every subcommand.
for c in "${commands[@]}"; do
  # shellcheck disable=SC2086
  expect_usage 2 "--ca-file '/nonexistent'" "${k[@]}" $c --ca-file /nonexistent
done
for c in "load f.txt -t bad/name" "tail -t bad/name" "topics create bad/name" "topics describe bad/name" \
         "produce -t bad/name x" "consume -t bad/name" "bench produce -t bad/name -n 1"; do
  # shellcheck disable=SC2086
  expect_usage 2 "bad/name" "${k[@]}" $c
done
for c in "load f.txt -t missing" "bench produce -t missing -n 5" "tail -t missing -e" "consume -t missing" \
         "topics describe missing"; do
  rc=0
  # shellcheck disable=SC2086
  "$krest" $c > /dev/null 2>err.txt || rc=$?
  [ "$rc" = 1 ] || fail "$c exited $rc, not 1 (a missing topic): $(cat err.txt)"
  grep -q "missing" err.txt || fail "$c does not name the topic: $(cat err.txt)"
done
mkdir adir
expect_usage 2 "'adir' is a directory" "${k[@]}" load adir -t t
rc=0
"$krest" load adir -t t --json > summary.json 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "load DIR --json exited $rc"
python3 -c 'import json,sys; d = json.load(open("summary.json")); assert "is a directory" in d["error"] and d["exit_code"] == 2' ||
  fail "load DIR --json does not carry the error: $(cat summary.json)"
rc=0
"$proxy_bin" --listen 127.0.0.1:99999 --data-dir "$dir/other" --auth none > /dev/null 2>err.txt || rc=$?
[ "$rc" = 2 ] && grep -q "^krest-proxy: .*port must be 0..65535" err.txt || fail "krest-proxy --listen :99999: exit $rc: $(cat err.txt)"
rc=0
"$proxy_bin" --no-such-flag > /dev/null 2>err.txt || rc=$?
[ "$rc" = 2 ] && grep -q "^krest-proxy: " err.txt || fail "krest-proxy --no-such-flag: exit $rc: $(cat err.txt)"
ok "exit codes: 2 for wrong command lines, 1 for a missing topic, in every subcommand; krest-proxy 2"

# 3. Connection errors that say what to do.
"$proxy_bin" --listen 127.0.0.1:0 --data-dir "$dir/plain" --auth none --tls=false > plain.out 2> plain.err &
plain_pid=$!
for _ in $(seq 100); do grep -q 'listening on' plain.out && break; sleep 0.1; done
plain=$(sed -n 's/^krest-proxy listening on //p' plain.out)
expect_fails() {  # text, command...
  local text=$1 rc=0; shift
  "$@" > /dev/null 2>err.txt || rc=$?
  [ "$rc" != 0 ] && grep -qF -- "$text" err.txt || fail "$*: expected '$text' (exit $rc): $(cat err.txt)"
}
expect_fails "is it a plain-HTTP port" "$krest" topics list --auth none --endpoint "${plain/http:/https:}"
expect_fails "is it a TLS port" "$krest" topics list --auth none --endpoint "${url/https:/http:}"
expect_fails "--ca-file" env -u KREST_CA_FILE "$krest" topics list
expect_usage 2 "no scheme: write https://127.0.0.1" "${k[@]}" topics list --endpoint "${url#https://}"
mkdir web && python3 -m http.server 0 --bind 127.0.0.1 --directory web > web.out 2>&1 &
web_pid=$!
for _ in $(seq 50); do grep -q "port" web.out && break; sleep 0.1; done
web_port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' web.out | head -1)
expect_fails "not a Kafka REST proxy" "$krest" topics list --auth none --endpoint "http://127.0.0.1:$web_port"
expect_fails "not a Kafka REST proxy" "$krest" load f.txt -t t --auth none --endpoint "http://127.0.0.1:$web_port"
kill "$plain_pid" "$web_pid" 2>/dev/null || true
ok "connection errors name the URL and what to do"

# 4. A token authority that is down: said to be awaited at once, and not waited for long.
start=$(date +%s)
rc=0
KREST_AUTHORITY=https://localhost:1/krest-test "$krest" topics list > /dev/null 2>err.txt || rc=$?
took=$(($(date +%s) - start))
[ "$rc" = 1 ] || fail "an authority that is down: exit $rc"
grep -q "waiting for an access token from https://localhost:1/krest-test" err.txt || fail "no notice of the wait: $(cat err.txt)"
grep -q "is the authority URL right" err.txt || fail "no hint: $(cat err.txt)"
[ "$took" -lt 15 ] || fail "an authority nothing answers at was waited for $took s"
ok "a token authority that is down: said at once, given up on in ${took} s"

# 5. kcat's words for offsets, in tail and consume.
"$krest" tail -t t -o beginning -e -f '%p:%o\n' > all.txt 2>/dev/null
[ ! -e beginning ] || fail "tail -o beginning wrote a file named 'beginning'"
[ "$(wc -l < all.txt)" -ge 4 ] || fail "tail -o beginning: $(cat all.txt)"
"$krest" tail -t t -p 0 -o -2 -e -f '%o\n' > last.txt 2>/dev/null
end0=$("$krest" topics describe t --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitions"][0]["latest_offset"])')
[ "$(tr '\n' ' ' < last.txt)" = "$((end0 - 2)) $((end0 - 1)) " ] || fail "tail -o -2: $(cat last.txt) (end $end0)"
[ "$("$krest" consume -t t -o -1 -f '%o\n' 2>/dev/null)" = "$((end0 - 1))" ] || fail "consume -o -1"
"$krest" consume -t t -o 100000 > out.txt 2>err.txt || fail "consume past the end: $(cat err.txt)"
grep -q "offset 100000 is past the end of t/0 (its next offset is $end0)" err.txt || fail "consume past the end: $(cat err.txt)"
[ ! -s out.txt ] || fail "consume past the end printed records"
"$krest" tail -t t -p 0 -o 100000 -e > /dev/null 2>err.txt || fail "tail past the end: $(cat err.txt)"
grep -q "past the end of t/0 (its next offset is $end0): starting there" err.txt || fail "tail past the end: $(cat err.txt)"
ok "kcat's offsets: beginning, end, -N; past the end is said"

# 6. --help teaches: its own name, examples and defaults for every subcommand.
for sub in load tail topics produce consume bench; do
  "$krest" $sub --help > help.txt
  grep -q "^Usage: krest $sub" help.txt || fail "$sub --help: $(head -2 help.txt)"
  grep -q "^Examples:" help.txt || fail "$sub --help has no examples"
done
# The connection options say their defaults under every command that takes them.
for c in "topics list" "topics create" "topics describe" "topics delete" load tail produce consume bench; do
  # shellcheck disable=SC2086
  "$krest" $c --help > help.txt
  grep -q -- '--token-wait-ms INT .*\[default: 30000\]' help.txt && grep -q -- '--auth TEXT .*\[default: "auto"\]' help.txt ||
    fail "$c --help: the connection options without their defaults"
done
"$krest" load --help | grep -q -- "--batch-records auto|N=auto" || fail "load --help does not show defaults"
ok "--help: usage, examples and defaults"
echo "$passed passed, 0 failed"
