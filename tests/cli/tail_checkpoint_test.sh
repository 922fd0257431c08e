#!/usr/bin/env bash
# krest tail --checkpoint across kill -9 of krest tail and of the proxy, while a load runs: the
# output file ends with every offset of every partition exactly once, in order.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"

"$krest" topics create t --partitions 3 2>/dev/null
total=12000
for i in $(seq 1 $total); do echo "{\"seq\":$i}"; done > in.ndjson
# A paced load (about 6 s) that must itself survive the proxy's restart.
"$krest" load in.ndjson -t t -f ndjson --rate 2000 --checkpoint load.cp 2> load.err &
loader=$!
# Whatever way this script ends, the load goes too: left running it would retry against a proxy
# that is gone and hold ctest's output pipe open until its timeout.
trap 'kill -9 $loader 2>/dev/null || true; kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
# Each tail must still be running when it is killed: one that ended by itself failed.
still_running() {  # pid, its stderr file
  kill -0 "$1" 2>/dev/null && return 0
  local rc=0
  wait "$1" || rc=$?
  fail "krest tail ended by itself (exit $rc): $(tail -5 "$2")"
}

tail_cmd=("$krest" tail -t t --from earliest --checkpoint tail.cp --checkpoint-interval-ms 50 --output out.ndjson)
"${tail_cmd[@]}" 2> tail1.err &
t1=$!
for _ in $(seq 100); do [ -s tail.cp ] && break; sleep 0.1; done
sleep 1
still_running $t1 tail1.err
kill -9 $t1; wait $t1 2>/dev/null || true
[ -s tail.cp ] || fail "no checkpoint after 1.5 s"
ok "krest tail killed with -9 mid-stream ($(wc -l < out.ndjson) lines out)"

lines=$(wc -l < out.ndjson)
"${tail_cmd[@]}" 2> tail2.err &
t2=$!
# Streaming again before the proxy goes: a tail that cannot reach the proxy at its start says so
# and ends (a slow start, under ThreadSanitizer, met the restart).
for _ in $(seq 100); do [ "$(wc -l < out.ndjson)" -gt "$lines" ] && break; sleep 0.1; done
still_running $t2 tail2.err
restart_proxy
ok "proxy killed with -9 and restarted"
sleep 1
still_running $t2 tail2.err
kill -9 $t2; wait $t2 2>/dev/null || true
ok "krest tail killed with -9 again ($(wc -l < out.ndjson) lines out)"

rc=0; wait $loader || rc=$?
# The load either finished through the restart, or failed some records; rerunning from its
# checkpoint completes it (records acknowledged before are skipped).
if [ $rc != 0 ]; then "$krest" load in.ndjson -t t -f ndjson --checkpoint load.cp 2>> load.err; fi
ok "load done: $(tail -1 load.err)"

"${tail_cmd[@]}" --exit-at-end 2> tail3.err
"$krest" topics describe t --json > desc.json
python3 - "$total" <<'PY' || fail "the output has a gap or a repeat"
import json, sys
total = int(sys.argv[1])
rows = [json.loads(l) for l in open("out.ndjson")]
latest = {p["partition"]: p["latest_offset"] for p in json.load(open("desc.json"))["partitions"]}
by_partition = {}
for r in rows:
    by_partition.setdefault(r["partition"], []).append(r["offset"])
for p, end in latest.items():
    got = by_partition.get(p, [])
    if got != list(range(end)):
        missing = sorted(set(range(end)) - set(got))[:5]
        dup = len(got) - len(set(got))
        print(f"partition {p}: {len(got)} offsets for {end}; missing {missing}, {dup} repeated")
        sys.exit(1)
seqs = {json.loads(r["value"])["seq"] for r in rows}
assert seqs == set(range(1, total + 1)), f"{total - len(seqs)} records of the load never arrived"
print(f"{len(rows)} records, offsets exact on {len(latest)} partitions")
PY
ok "every offset exactly once and in order; every loaded record present"
echo "$passed passed, 0 failed"
