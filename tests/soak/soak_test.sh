#!/usr/bin/env bash
# A bounded soak: krest load in rounds + a long krest tail with a checkpoint, 2-second tokens, and a
# kill -9 of the proxy every 15 s, for SECONDS (CI: 60; by hand: hours). At the end every record
# loaded is consumed, none twice beyond what a proxy crash can make the engine resend (each such
# duplicate must be a record whose produce saw a connection failure), and the tail's memory and
# file descriptors did not grow. Usage: soak_test.sh PROXY KREST SECONDS
set -euo pipefail
source "$(dirname "$0")/../cli/cli_env.sh" "$1" "$2"
seconds=${3:-60}
python3 - "$dir/authority.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); a["token_lifetime_s"] = 2; json.dump(a, open(sys.argv[1], "w"))
PY
restart_proxy --auth-clock-skew-s 0
"$krest" topics create soak --partitions 3 2>/dev/null

# Under ASan, freed memory waits in a quarantine (256 MB by default) before reuse: a small one
# keeps the tail's resident size a measure of what it really holds.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8" \
  "$krest" tail -t soak --from earliest --checkpoint tail.cp --output out.ndjson -f value 2> tail.err &
tailer=$!
fds() { ls /proc/$tailer/fd | wc -l; }
rss_kb() { awk '/VmRSS/ {print $2}' /proc/$tailer/status; }
fd0=""

end=$(( $(date +%s) + seconds ))
round=0; next_kill=$(( $(date +%s) + 15 )); kills=0
while [ "$(date +%s)" -lt "$end" ]; do
  round=$((round + 1))
  seq 1 5000 | sed "s/^/r$round-/" > "in$round.txt"
  "$krest" load "in$round.txt" -t soak --rate 5000 --reject-file "rej$round.ndjson" 2> "load$round.err" &
  loader=$!
  while kill -0 $loader 2>/dev/null; do
    if [ "$(date +%s)" -ge "$next_kill" ]; then restart_proxy --auth-clock-skew-s 0; kills=$((kills + 1)); next_kill=$(( $(date +%s) + 15 )); fi
    sleep 0.2
  done
  wait $loader || fail "round $round's load failed: $(cat "load$round.err")"
  # The baseline once the tail has warmed up (connections, buffers): after the first round.
  if [ -z "$fd0" ]; then fd0=$(fds); rss0=$(rss_kb); fi
done
# Let the tail catch up, then stop it cleanly.
expected=$((round * 5000))
for _ in $(seq 300); do [ "$(sort -u out.ndjson | wc -l)" -ge "$expected" ] && break; sleep 0.1; done
fd1=$(fds); rss1=$(rss_kb)
kill -INT $tailer; wait $tailer || fail "tail exited non-zero: $(cat tail.err)"

python3 - "$round" <<'PY' || fail "records lost"
import sys
rounds = int(sys.argv[1])
want = {f"r{r}-{i}" for r in range(1, rounds + 1) for i in range(1, 5001)}
got = [l.rstrip("\n") for l in open("out.ndjson")]
missing = want - set(got)
assert not missing, f"{len(missing)} records never came back, e.g. {sorted(missing)[:3]}"
print(f"{len(want)} loaded, {len(got)} consumed, {len(got) - len(set(got))} duplicates")
PY
dups=$(( $(wc -l < out.ndjson) - $(sort -u out.ndjson | wc -l) ))
retries=$(grep -ho '[0-9,]* retries' load*.err | tr -d , | awk '{s += $1} END {print s + 0}')
# A duplicate needs a resend of a request whose outcome was unknown; each retried request holds at
# most one batch (500 records by default).
[ "$dups" -le $((retries * 500)) ] || fail "$dups duplicates, more than $retries retried requests can explain"
[ $((fd1 - fd0)) -le 4 ] || fail "tail's descriptors grew from $fd0 to $fd1"
[ $((rss1 - rss0)) -le 51200 ] || fail "tail's memory grew from $rss0 kB to $rss1 kB"
ok "soak: $round rounds ($expected records) over ${seconds}s with $kills proxy kill -9s and 2-second tokens; nothing lost, $dups duplicates from $retries retries; tail fds $fd0 -> $fd1, RSS ${rss0} -> ${rss1} kB"
echo "$passed passed, 0 failed"
