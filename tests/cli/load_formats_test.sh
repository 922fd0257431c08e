#!/usr/bin/env bash
# krest load in every input format against a real krest-proxy, read back with krest tail.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"

# Reads every record of a topic back as "partition key value" lines, sorted.
read_back() { "$krest" tail -t "$1" --from earliest -e -f '%p %k %s\n' | sort; }

"$krest" topics create lines --partitions 3 2>/dev/null
seq 1 5000 | sed 's/^/line-/' > lines.txt
"$krest" load lines.txt -t lines 2> summary.txt
grep -q '5,000 records' summary.txt || fail "lines summary: $(cat summary.txt)"
[ "$(read_back lines | wc -l)" = 5000 ] || fail "lines: not 5000 records back"
ok "lines"

# stdin, gzip (detected from the data), and keys split off with a delimiter.
"$krest" topics create keyed --partitions 4 2>/dev/null
for i in $(seq 1 300); do echo "user$((i % 7))|event $i"; done > keyed.txt
gzip -c keyed.txt > keyed.gz
"$krest" load keyed.gz -t keyed -K '|' 2>/dev/null
cat keyed.txt | "$krest" load - -t keyed -K '|' 2>/dev/null
read_back keyed > keyed.out
[ "$(wc -l < keyed.out)" = 600 ] || fail "keyed: $(wc -l < keyed.out) records, not 600"
# The same key always lands on the same partition (the proxy hashes keys like Kafka's murmur2).
[ "$(awk '{print $2, $1}' keyed.out | sort -u | wc -l)" = 7 ] || fail "a key landed on two partitions"
grep -q '^[0-9] user3 event 3$' keyed.out || fail "keyed: key/value not split: $(head -3 keyed.out)"
ok "gzip, stdin and --key-delimiter"

# ndjson: each line a JSON value sent as it is; the key from a JSON pointer.
"$krest" topics create nd --partitions 2 2>/dev/null
cat > nd.ndjson <<'JSON'
{"user":{"id":"u1"},"n":1}
{"user":{"id":"u2"},"n":2}

{"user":{"id":42},"n":3}
JSON
"$krest" load nd.ndjson -t nd -f ndjson -k /user/id 2>/dev/null
read_back nd > nd.out
grep -q ' u1 {"user":{"id":"u1"},"n":1}$' nd.out || fail "ndjson: $(cat nd.out)"
grep -q ' 42 {"user":{"id":42},"n":3}$' nd.out || fail "ndjson numeric key: $(cat nd.out)"
[ "$(wc -l < nd.out)" = 3 ] || fail "ndjson: blank line not skipped"
ok "ndjson with --key-field"

# json records: key, value and partition per line; non-string values sent as JSON text.
"$krest" topics create js --partitions 3 2>/dev/null
cat > js.json <<'JSON'
{"key":"a","value":"plain","partition":2}
{"value":{"x":[1,2]},"partition":1}
{"key":"c","value":"third"}
JSON
"$krest" load js.json -t js -f json 2>/dev/null
read_back js > js.out
grep -qx '2 a plain' js.out || fail "json partition: $(cat js.out)"
grep -qx '1  {"x":\[1,2\]}' js.out || fail "json value: $(cat js.out)"
ok "json records"

# csv: header row, key column by name or number, value as the row or as a JSON object.
"$krest" topics create csv --partitions 2 2>/dev/null
printf 'id,name,city\n1,"Smith, Jo",Oslo\n2,"say ""hi""",Rome\n' > people.csv
"$krest" load people.csv -t csv -f csv -k name 2>/dev/null
"$krest" load people.csv -t csv -f csv -k 1 --csv-value json 2>/dev/null
read_back csv > csv.out
grep -q ' Smith, Jo 1,"Smith, Jo",Oslo$' csv.out || fail "csv by name: $(cat csv.out)"
grep -q ' 2 {"id":"2","name":"say \\"hi\\"","city":"Rome"}$' csv.out || fail "csv json: $(cat csv.out)"
ok "csv"

# RFC 4180: a quoted field may hold line breaks; the row is one record, and a later bad row is
# named by its own line in the file.
"$krest" topics create csvml --partitions 1 2>/dev/null
printf 'id,note\n1,"first line\nsecond line"\n2,"a ""quoted""\n\nparagraph"\n3,"bad"x\n4,plain\n' > multi.csv
rc=0
"$krest" load multi.csv -t csvml -f csv -k id --csv-value json --reject-file multi.rejects 2> multi.err || rc=$?
[ "$rc" = 1 ] || fail "csv multi-line: exit $rc: $(cat multi.err)"
"$krest" tail -t csvml --from earliest -e -f '%k %s\n' > multi.out
python3 - <<'PY' || fail "csv multi-line: $(cat multi.out) / $(cat multi.rejects)"
import json
lines = open("multi.out").read().splitlines()
assert lines[0] == '1 {"id":"1","note":"first line\\nsecond line"}', lines
assert lines[1] == '2 {"id":"2","note":"a \\"quoted\\"\\n\\nparagraph"}', lines
assert lines[2] == '4 {"id":"4","note":"plain"}', lines
r = [json.loads(l) for l in open("multi.rejects")]
assert len(r) == 1 and r[0]["line"] == 7 and r[0]["input"] == '3,"bad"x', r
PY
ok "csv: quoted fields across lines (RFC 4180), numbered by their first line"

# Partitioning: round-robin spreads evenly, --partition pins.
"$krest" topics create rr --partitions 4 2>/dev/null
seq 1 400 > rr.txt
"$krest" load rr.txt -t rr --partitioner round-robin 2>/dev/null
"$krest" load rr.txt -t rr --partition 3 2>/dev/null
counts=$("$krest" topics describe rr --json | python3 -c 'import json,sys; print(*[p["latest_offset"] for p in json.load(sys.stdin)["partitions"]])')
[ "$counts" = "100 100 100 500" ] || fail "partitioning: $counts"
ok "round-robin and --partition"

# A malformed line in the middle: reported with its line number, the rest loaded, exit 1.
"$krest" topics create bad --partitions 1 2>/dev/null
{ for i in $(seq 1 99); do echo "{\"n\":$i}"; done; echo '{"n": oops}'; for i in $(seq 101 200); do echo "{\"n\":$i}"; done; } > bad.ndjson
rc=0
"$krest" load bad.ndjson -t bad -f ndjson --reject-file rejects.ndjson 2> bad.err || rc=$?
[ "$rc" = 1 ] || fail "malformed line: exit $rc"
grep -q '199 records' bad.err || fail "malformed line: $(cat bad.err)"
grep -q "1 invalid lines and 0 records refused by the proxy are in 'rejects.ndjson'" bad.err || fail "$(cat bad.err)"
python3 - <<'PY' || fail "reject file: $(cat rejects.ndjson)"
import json
rows = [json.loads(l) for l in open("rejects.ndjson")]
assert len(rows) == 1, rows
r = rows[0]
assert r["file"] == "bad.ndjson" and r["line"] == 100 and r["input"] == '{"n": oops}', r
assert "not a JSON value" in r["error"], r
PY
[ "$("$krest" tail -t bad --from earliest -e | wc -l)" = 199 ] || fail "malformed line: not 199 loaded"
ok "a malformed line is rejected with its line number and the rest loaded"

# Records the proxy refuses (too large for the topic) go to the reject file too, with their line.
"$krest" topics create small --partitions 1 --topic-config max.message.bytes=200 2>/dev/null
{ echo short; head -c 500 /dev/zero | tr '\0' x; echo; echo also-short; } > big.txt
rc=0
"$krest" load big.txt -t small --reject-file big.rejects 2> big.err || rc=$?
[ "$rc" = 1 ] || fail "refused record: exit $rc: $(cat big.err)"
python3 -c 'import json,sys; r=[json.loads(l) for l in open("big.rejects")]; assert len(r)==1 and r[0]["line"]==2, r' ||
  fail "refused record: $(cat big.rejects)"
[ "$("$krest" tail -t small --from earliest -e -f value | tr '\n' ' ')" = "short also-short " ] || fail "refused record: others not loaded"
ok "a record the proxy refuses is rejected with its line number"
# The topic's properties are kept and shown by topics describe (a krest-proxy extension of the
# partitions answer).
"$krest" topics describe small | grep -qx 'properties: max.message.bytes=200' ||
  fail "topics describe: $("$krest" topics describe small)"
"$krest" topics describe small --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["properties"]=={"max.message.bytes":"200"}, d' ||
  fail "topics describe --json: $("$krest" topics describe small --json)"
"$krest" topics create plain --partitions 1 2>/dev/null
"$krest" topics describe plain | grep -qx "properties: (the proxy's defaults)" || fail "$("$krest" topics describe plain)"
ok "topics create --topic-config is stored and topics describe shows it"

# Not UTF-8 and overlong lines are rejected, not sent.
"$krest" topics create raw --partitions 1 2>/dev/null
{ echo good; printf 'bad\xff\n'; head -c 100 /dev/zero | tr '\0' y; echo; echo fine; } > raw.txt
rc=0
"$krest" load raw.txt -t raw --max-line-bytes 50 --reject-file raw.rejects 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "raw: exit $rc"
python3 - <<'PY' || fail "raw rejects: $(cat raw.rejects)"
import json, base64
r = [json.loads(l) for l in open("raw.rejects")]
assert [x["line"] for x in r] == [2, 3], r
assert base64.b64decode(r[0]["input_base64"]) == b"bad\xff", r
assert "longer than --max-line-bytes (100 bytes, the limit is 50)" in r[1]["error"], r
assert r[1]["input_bytes"] == 100 and r[1]["limit"] == 50 and r[1]["input_prefix"] == "y" * 100, r
PY
ok "invalid UTF-8 and overlong lines are rejected, an overlong one with its length, the limit and its start"

# A second run that starts afresh moves the first run's rejects aside: the file holds this run's only.
"$krest" load raw.txt -t raw --max-line-bytes 50 --reject-file raw.rejects 2> again.err || true
grep -q "'raw.rejects' held 2 reject(s) of an earlier load: moved to 'raw.rejects.old'" again.err ||
  fail "earlier rejects: $(cat again.err)"
[ "$(wc -l < raw.rejects)" = 2 ] && [ "$(wc -l < raw.rejects.old)" = 2 ] || fail "earlier rejects not moved aside"
printf 'good\n' > clean.txt
"$krest" load clean.txt -t raw --reject-file raw.rejects 2> clean.err
[ ! -e raw.rejects ] && grep -q "moved to 'raw.rejects.old'" clean.err ||
  fail "a clean run left the earlier rejects in place: $(cat clean.err)"
ok "a load that starts afresh moves the earlier reject file aside and says so"

# ndjson without the --key-field: the line is rejected, not sent keyless.
"$krest" topics create nokey --partitions 1 2>/dev/null
printf '{"user":{"id":1}}\n{"user":{}}\n' > nokey.ndjson
rc=0
"$krest" load nokey.ndjson -t nokey -f ndjson -k /user/id --reject-file nokey.rejects 2>/dev/null || rc=$?
[ "$rc" = 1 ] && grep -q '"line":2,"error":"no key at /user/id"' nokey.rejects || fail "missing key: $rc $(cat nokey.rejects)"
ok "an ndjson line without the --key-field is rejected"

# --json prints a machine-readable summary; --rate holds the pace.
"$krest" topics create paced --partitions 1 2>/dev/null
seq 1 60 > paced.txt
start=$(date +%s%N)
"$krest" load paced.txt -t paced --rate 100 --json 2>/dev/null > paced.json
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -ge 550 ] || fail "--rate 100 loaded 60 records in $elapsed_ms ms"
python3 -c 'import json; d=json.load(open("paced.json")); assert d["records"]==60 and d["invalid"]==0, d' || fail "$(cat paced.json)"
# Numbers as people write them: 0.6, never 6E-1.
grep -qiE '[0-9]e[-+]?[0-9]' paced.json && fail "--json writes exponents: $(cat paced.json)"
python3 -c 'import json; d=json.load(open("paced.json")); assert 0.5 < d["seconds"] < 60 and d["records_per_second"] > 0, d' ||
  fail "$(cat paced.json)"
ok "--rate and --json, numbers in plain decimals"

# --json says what the adapted settings came to, and a pinned one is reported as pinned.
python3 -c 'import json; d=json.load(open("paced.json")); assert d["requests"] >= 1 and d["connections"] >= 1 and 4 <= d["in_flight_limit"] <= 128, d' ||
  fail "adapted: $(cat paced.json)"
seq 1 3000 > pinned.txt
"$krest" load pinned.txt -t paced --in-flight 3 --connections 2 --json 2>/dev/null > pinned.json
python3 -c 'import json; d=json.load(open("pinned.json")); assert d["records"] == 3000 and d["in_flight_limit"] == 3 and 1 <= d["connections"] <= 2 and d["requests"] >= 6, d' ||
  fail "pinned: $(cat pinned.json)"
ok "--json reports the requests in flight, connections and requests"

# An unknown topic: a clear error, nothing attempted.
rc=0; err=$("$krest" load lines.txt -t nosuch 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "topic 'nosuch' does not exist" <<< "$err" || fail "unknown topic: $rc $err"
ok "unknown topic"
# The topic deleted mid-load: the load stops reading at the first refusal instead of rejecting the
# rest of the file line by line; what was sent is acknowledged or in the reject file, nothing else.
"$krest" topics create doomed --partitions 1 2>/dev/null
seq 1 100000 > doomed.txt
rc=0
"$krest" load doomed.txt -t doomed --rate 20000 --reject-file doomed.rejects 2> doomed.err &
l=$!
sleep 1
"$krest" topics delete doomed 2>/dev/null
wait $l || rc=$?
[ "$rc" = 1 ] && grep -q "stopped: .*404" doomed.err || fail "topic deleted mid-load: exit $rc: $(cat doomed.err)"
loaded=$(sed -n 's/^krest load: \([0-9,]*\) records.*/\1/p' doomed.err | tr -d ,)
rejected=$(wc -l < doomed.rejects)
[ $((loaded + rejected)) -lt 60000 ] || fail "read on after the topic was gone: $loaded loaded, $rejected rejected"
ok "a deleted topic stops the load ($loaded loaded, $rejected rejected of 100000)"

# A corrupt gzip input: what was read before is loaded, the error names the file, exit 1.
"$krest" topics create gz --partitions 1 2>/dev/null
# Lines of 200 bytes: the cut falls inside one (199 chances in 200).
seq 1 200000 | awk '{printf "%08d%0192d\n", $1, 0}' | gzip -c > good.gz
head -c 100000 good.gz > cut.gz
rc=0; "$krest" load cut.gz -t gz --reject-file cut.rejects 2> cut.err || rc=$?
[ "$rc" = 1 ] && grep -q "reading 'cut.gz' after line [0-9]*: unexpected end of file (a truncated gzip file?)" cut.err ||
  fail "truncated gzip: exit $rc: $(cat cut.err)"
! grep -q "<fd:" cut.err || fail "truncated gzip: zlib's descriptor name: $(cat cut.err)"
# The line the cut ends inside is in the reject file, as much of it as there is.
loaded=$(sed -n 's/^krest load: \([0-9,]*\) records.*/\1/p' cut.err | tr -d ,)
python3 - "$loaded" <<'PY' || fail "truncated gzip: the cut line: $(cat cut.rejects)"
import json, sys
loaded = int(sys.argv[1])
r = [json.loads(l) for l in open("cut.rejects")]
assert len(r) == 1 and r[0]["line"] == loaded + 1, (loaded, r)
assert ("%08d%0192d" % (loaded + 1, 0)).startswith(r[0]["input"]) and "damaged" in r[0]["error"], r
PY
ok "a truncated gzip input is reported with the file and the line reached, the cut line rejected"
echo "$passed passed, 0 failed"
