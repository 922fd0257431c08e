#!/usr/bin/env bash
# Ctrl-C (SIGINT) and SIGTERM: krest tail saves its checkpoint and exits 0; krest load delivers what
# it sent, saves its checkpoint, exits 130, and the same command run again finishes the load.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"

"$krest" topics create s --partitions 2 2>/dev/null
seq 1 3000 | sed 's/^/r/' > in.txt
"$krest" load in.txt -t s 2>/dev/null

for sig in INT TERM; do
  rm -f cp.json out.txt
  "$krest" tail -t s --from earliest --output out.txt -f value --checkpoint cp.json --checkpoint-interval-ms 60000 2> tail.err &
  t=$!
  for _ in $(seq 50); do [ "$( { wc -l < out.txt; } 2>/dev/null || echo 0)" = 3000 ] && break; sleep 0.1; done
  kill -$sig $t
  rc=0; wait $t || rc=$?
  [ $rc = 0 ] || fail "tail exited $rc on SIG$sig: $(cat tail.err)"
  # The checkpoint was written at exit (its interval is a minute) and says everything was written.
  python3 -c 'import json; c=json.load(open("cp.json")); assert sum(c["next_offsets"].values())==3000, c; assert c["output_bytes"]>0, c' ||
    fail "checkpoint after SIG$sig: $(cat cp.json 2>/dev/null)"
  ok "tail: SIG$sig saves the checkpoint and exits 0"
done

# A restarted tail continues from the checkpoint: only the new records come out.
printf 'new1\nnew2\n' | "$krest" produce -t s -p 0 >/dev/null 2>&1
"$krest" tail -t s --checkpoint cp.json --output out.txt -f value -e 2>/dev/null
[ "$(tail -2 out.txt | tr '\n' ' ')" = "new1 new2 " ] && [ "$(wc -l < out.txt)" = 3002 ] || fail "tail resume: $(wc -l < out.txt) lines"
ok "tail continues from its checkpoint"

# load: interrupted mid-way, then resumed to completion with nothing missing.
"$krest" topics create l --partitions 3 2>/dev/null
seq 1 20000 | sed 's/^/v/' > big.txt
"$krest" load big.txt -t l --rate 5000 --checkpoint load.cp 2> load1.err &
l=$!
# Interrupt once the load is under way: its first checkpoint is saved after a second of loading.
for _ in $(seq 100); do [ -s load.cp ] && break; sleep 0.1; done
sleep 0.3
kill -INT $l
rc=0; wait $l || rc=$?
[ $rc = 130 ] || fail "load exited $rc on SIGINT: $(cat load1.err)"
grep -q "(interrupted)" load1.err && grep -q "run the same command again to continue from 'load.cp'" load1.err ||
  fail "interrupted load: $(cat load1.err)"
first=$(python3 -c 'import json; print(json.load(open("load.cp"))["acknowledged"])')
[ "$first" -gt 1000 ] && [ "$first" -lt 20000 ] || fail "interrupted load acknowledged $first"
ok "load: SIGINT delivers what was sent, saves the checkpoint, exits 130 ($first records)"

"$krest" load big.txt -t l --checkpoint load.cp 2> load2.err
grep -q "resuming from 'load.cp'" load2.err || fail "resume: $(cat load2.err)"
"$krest" tail -t l --from earliest -e -f value | sort > got.txt
sort big.txt > want.txt
[ -z "$(comm -13 got.txt want.txt)" ] || fail "records missing after resume: $(comm -13 got.txt want.txt | head -3)"
dups=$(( $(wc -l < got.txt) - 20000 ))
[ $dups = 0 ] || fail "$dups records stored twice after a clean interrupt (the checkpoint was exact)"
ok "load resumed: all 20000 records, none twice"

"$krest" load big.txt -t l --checkpoint load.cp 2> load3.err
grep -q "says this load is complete" load3.err || fail "complete load run again: $(cat load3.err)"
ok "a complete load is not loaded again"
# consume: a Ctrl-C while it waits (here for a consume quota the first page used up) stops it at
# once, with what it printed followed by the offset to continue from, and exit 0 as tail.
"$krest" topics create q --partitions 1 2>/dev/null
seq 1 30000 | sed 's/^/q/' > q.txt
"$krest" load q.txt -t q 2>/dev/null
restart_proxy --quota-consume-bytes-per-s 20000
"$krest" consume -t q -c 30000 -f '%o %s\n' > c.out 2> c.err &
c=$!
for _ in $(seq 100); do [ -s c.out ] && break; sleep 0.1; done
[ -s c.out ] || fail "consume printed nothing: $(cat c.err)"
sleep 0.5
rc=0; interrupt_and_wait $c 10 c.err || rc=$?
[ $rc = 0 ] || fail "consume exited $rc on SIGINT: $(cat c.err)"
printed=$(wc -l < c.out)
grep -q "krest consume: interrupted: $printed record(s); next offset $printed$" c.err ||
  fail "interrupted consume printed $printed lines and said: $(cat c.err)"
# Whole records, offsets 0 up to the one before the next offset.
[ "$printed" -lt 30000 ] && awk '$1 != NR - 1 || $2 !~ /^q[0-9]+$/ { exit 1 }' c.out ||
  fail "consume output: $printed lines, last $(tail -1 c.out)"
ok "consume: SIGINT while waiting stops it with the offset to continue from ($printed records), exit 0"
echo "$passed passed, 0 failed"
