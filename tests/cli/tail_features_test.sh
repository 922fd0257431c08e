#!/usr/bin/env bash
# krest tail's choices (partitions, start, formats, --max, stats, metrics, a closed pipe), tokens
# that expire every two seconds under a long tail, and topics/produce/consume.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"

"$krest" topics create f --partitions 3 --topic-config retention.ms=3600000 2>/dev/null
"$krest" topics create f --if-not-exists 2>/dev/null || fail "--if-not-exists"
rc=0; "$krest" topics create f 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "creating an existing topic exited $rc"
for p in 0 1 2; do seq 1 10 | sed "s/^/p$p-/" | "$krest" produce -t f -p $p -K - > /dev/null 2>&1; done
"$krest" topics list --json | python3 -c 'import json,sys; assert "f" in json.load(sys.stdin)' || fail "topics list --json"
"$krest" topics describe f | grep -qE '^ +2 +0 +10 +10 ' || fail "describe table: $("$krest" topics describe f)"
ok "topics create/list/describe, --if-not-exists, 409"

out=$("$krest" tail -t f --partitions 0,2 --from 8 -e -f '%t/%p@%o %k=%s (%S)\n' | sort)
[ "$out" = "$(printf 'f/0@8 p0=9 (1)\nf/0@9 p0=10 (2)\nf/2@8 p2=9 (1)\nf/2@9 p2=10 (2)')" ] || fail "format/partitions/from: $out"
ok "--partitions, --from OFFSET and a format string"

[ "$("$krest" tail -t f --from earliest -e -n 7 | wc -l)" = 7 ] || fail "--max"
[ "$("$krest" tail -t f --from latest -e | wc -l)" = 0 ] || fail "--from latest"
"$krest" tail -t f --from earliest -e -f value | sort | head -3 > /dev/null
rc=0; "$krest" tail -t f --from earliest 2> pipe.err | head -2 > /dev/null || rc=$?
[ $rc = 0 ] && [ ! -s pipe.err ] || fail "tail into a closed pipe: $rc $(cat pipe.err)"
# The reader goes away after the tail has written everything and waits for more: nothing is left
# to write, and it must end all the same.
rc=0; timeout 20 "$krest" tail -t f --from earliest 2> idle.err | { sleep 1; head -2 > /dev/null; } || rc=$?
[ $rc = 0 ] && [ ! -s idle.err ] || fail "idle tail into a closed pipe: $rc $(cat idle.err)"
ok "--max, --from latest, a closed pipe ends quietly, also for an idle tail"

"$krest" consume -t f -p 1 -o 3 -c 2 -f value > c.out 2> c.err
[ "$(tr "\n" " " < c.out)" = "4 5 " ] && grep -q "next offset 5" c.err || fail "consume: $(cat c.out c.err)"
"$krest" produce -t f -k kx --json one two > p.out 2>/dev/null
python3 -c 'import json; r=[json.loads(l) for l in open("p.out")]; assert len(r)==2 and r[1]["offset"]==r[0]["offset"]+1, r' || fail "produce --json: $(cat p.out)"
ok "produce and consume"

# Tokens that live 2 s, with no clock-skew allowance: a tail keeps going across many refreshes.
python3 - "$dir/authority.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); a["token_lifetime_s"] = 2; json.dump(a, open(sys.argv[1], "w"))
PY
restart_proxy --auth-clock-skew-s 0
"$krest" tail -t f --from latest --metrics-port 0 --stats-interval 1 --output long.txt -f value 2> long.err &
t=$!
for _ in $(seq 50); do grep -q "metrics at" long.err && break; sleep 0.1; done
metrics_url=$(sed -n 's/.*metrics at //p' long.err)
for i in $(seq 1 12); do "$krest" produce -t f "late-$i" > /dev/null 2>&1; sleep 0.5; done
# A caught-up tail polls with a backoff of up to 2 s: wait for the last record, not a fixed time.
for _ in $(seq 100); do [ "$(grep -c '^late-' long.txt 2>/dev/null)" = 12 ] && break; sleep 0.1; done
# Caught up and idle, a stats line must show no lag (within a few stats intervals).
for _ in $(seq 50); do grep -q "lag 0 over 3 partition(s)" long.err && break; sleep 0.1; done
curl -sS -m 20 "$metrics_url" > metrics.txt || fail "metrics at '$metrics_url': $(tail -5 long.err)"
interrupt_and_wait $t 30 long.err || fail "tail exited non-zero"
[ "$(grep -c '^late-' long.txt)" = 12 ] || fail "tail across token expiry: $(cat long.txt) $(cat long.err)"
refreshes=$(awk '$1 == "krest_token_refreshes_total" {print $2}' metrics.txt)
[ "${refreshes:-0}" -ge 3 ] || fail "expected several token refreshes: $(grep token metrics.txt)"
grep -q '^krest_tail_records_written_total 12' metrics.txt || fail "metrics: $(grep tail metrics.txt)"
grep -q "krest tail: 'f' .* records written (.*/s), lag 0 over 3 partition(s)" long.err || fail "stats: $(cat long.err)"
ok "tail across $refreshes token refreshes of 2-second tokens; stats lines and Prometheus metrics"

"$krest" topics delete f 2>/dev/null
rc=0; "$krest" topics describe f 2> gone.err || rc=$?
[ $rc = 1 ] && grep -q 404 gone.err || fail "describe after delete: $rc $(cat gone.err)"
ok "topics delete"
echo "$passed passed, 0 failed"
