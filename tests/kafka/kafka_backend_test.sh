#!/usr/bin/env bash
# krest-proxy in front of a (mock) Kafka cluster, checked with kcat as an independent Kafka client:
# records produced through the proxy read back by kcat with the same keys, values and partitions;
# records written by kcat consumed through the proxy at their offsets; two proxies serving one
# client alternately; partitions nobody reads closed; health following the brokers; librdkafka's
# statistics in /metrics.
set -euo pipefail
proxy_bin=$1 krest=$2 mock_bin=$3
command -v kcat > /dev/null || { echo "FAIL: kcat is needed (scripts/setup.sh installs it)"; exit 1; }
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

mkfifo ctl
sleep 100000 > ctl &
pids+=($!)
"$mock_bin" 3 < ctl > mock.out 2> mock.err &
pids+=($!)
for _ in $(seq 50); do grep -q '^bootstrap' mock.out && break; sleep 0.1; done
bs=$(sed -n 's/^bootstrap //p' mock.out)
[ -n "$bs" ] || fail "the mock cluster did not start: $(cat mock.err)"
mock() {  # one command to the mock, waiting for its answer
  local before
  before=$(grep -c . mock.out)
  echo "$*" > ctl
  for _ in $(seq 50); do [ "$(grep -c . mock.out)" -gt "$before" ] && break; sleep 0.05; done
  [ "$(tail -1 mock.out)" = ok ] || fail "mock: $*: $(tail -1 mock.out)"
}

start_proxy() {  # $1: name; the rest: extra flags. Sets url_$1.
  local name=$1; shift
  "$proxy_bin" --listen 127.0.0.1:0 --data-dir "$dir/$name" --auth none --backend kafka \
    --kafka-bootstrap-servers "$bs" "$@" > "$name.out" 2> "$name.err" &
  pids+=($!)
  for _ in $(seq 100); do grep -q 'listening on' "$name.out" && break; sleep 0.1; done
  local u
  u=$(sed -n 's/^krest-proxy listening on //p' "$name.out")
  [ -n "$u" ] || fail "proxy $name did not start: $(cat "$name.err")"
  printf -v "url_$name" '%s' "$u"
}
start_proxy a
start_proxy b
via() {  # krest against proxy $1
  local name=$1; shift
  local u="url_$name"
  KREST_ENDPOINT=${!u} KREST_CA_FILE=$dir/$name/tls/cert.pem "$krest" "$@"
}

# 1. Through the proxy in, kcat out: same keys, values, and partitions.
mock create orders 4 1
for i in $(seq 1 400); do echo "{\"key\":\"customer-$((i % 37))\",\"value\":\"order $i\"}"; done > orders.json
via a load orders.json -t orders -f json 2> load.err || fail "load: $(cat load.err)"
via b tail -t orders --from earliest -e -f '%k|%s|%p\n' | sort > via_proxy.txt
kcat -b "$bs" -C -t orders -e -q -f '%k|%s|%p\n' | sort > via_kcat.txt
[ "$(wc -l < via_kcat.txt)" = 400 ] || fail "kcat read $(wc -l < via_kcat.txt) records, not 400"
diff via_proxy.txt via_kcat.txt > /dev/null || fail "kcat and the proxy disagree: $(diff via_proxy.txt via_kcat.txt | head -5)"
ok "400 keyed records produced through krest-proxy read back by kcat with the same keys, values and partitions"

# Keys land where Kafka's Java partitioner (murmur2) puts them: kcat with librdkafka's
# murmur2_random partitioner writes the same keys to the same partitions.
mock create placed 4 1
for i in $(seq 0 36); do echo "customer-$i|kcat"; done | kcat -b "$bs" -P -t placed -K '|' -X partitioner=murmur2_random
kcat -b "$bs" -C -t placed -e -q -f '%k|%p\n' | sort > kcat_places.txt
awk -F'|' '{print $1 "|" $3}' via_kcat.txt | sort -u > proxy_places.txt
diff kcat_places.txt proxy_places.txt > /dev/null || fail "placement differs from murmur2: $(diff kcat_places.txt proxy_places.txt | head -3)"
ok "keyed records land where a murmur2 (Java-compatible) producer puts them"

# 2. kcat in, the proxy out, at the offsets kcat's records got.
mock create fromkcat 2 1
for i in $(seq 0 49); do echo "k$i:value $i"; done | kcat -b "$bs" -P -t fromkcat -p 1 -K ':'
kcat -b "$bs" -C -t fromkcat -p 1 -e -q -f '%o %k %s\n' > kcat_offsets.txt
via a consume -t fromkcat -p 1 -o 0 -c 50 -f '%o %k %s\n' > proxy_offsets.txt 2> /dev/null
diff kcat_offsets.txt proxy_offsets.txt > /dev/null || fail "offsets differ: $(diff kcat_offsets.txt proxy_offsets.txt | head -3)"
via b consume -t fromkcat -p 1 -o 20 -c 5 -f '%o %s\n' > middle.txt 2> /dev/null
[ "$(head -1 middle.txt)" = "20 value 20" ] && [ "$(wc -l < middle.txt)" = 5 ] || fail "consume from 20: $(cat middle.txt)"
ok "50 records written by kcat consumed through krest-proxy at their offsets"

# 3. Two proxies, one client, alternately: every produce's offset follows the last, whichever
# proxy took it, and each record reads back through the other proxy.
mock create shared 1 1
for i in $(seq 0 19); do
  here=$([ $((i % 2)) = 0 ] && echo a || echo b)
  there=$([ $((i % 2)) = 0 ] && echo b || echo a)
  offset=$(via $here produce -t shared -p 0 --json "v$i" 2> /dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["offset"])')
  [ "$offset" = "$i" ] || fail "produce $i through $here got offset $offset"
  value=$(via $there consume -t shared -p 0 -o "$i" -c 1 -f '%s' 2> /dev/null)
  [ "$value" = "v$i" ] || fail "record $i through $there: '$value'"
done
ok "two proxies in front of one cluster serve one client alternately with consistent offsets"

# 5. Two proxies as one (--endpoint A,B): a load and a tail spread over both; A killed with kill -9
# in the middle of the load; the load goes on through B and completes, and the tail, running
# across the kill, reads every record, each partition in order.
start_proxy d
pid_d=${pids[-1]}
start_proxy e
cat "$dir/d/tls/cert.pem" "$dir/e/tls/cert.pem" > both.pem
produced_through() {  # produce requests proxy $1 answered 200
  local u="url_$1"
  curl -s --cacert "$dir/$1/tls/cert.pem" "${!u}/metrics" |
    sed -n 's/^krest_proxy_requests_total{route="produce",status="200"} //p'
}
mock create failover 8 1
seq 1 400000 | sed 's/^/record-/' > failover.txt
# (Run directly, not through a shell function: $! would be the subshell running it, and killing
# that would leave the tail itself following for ever. The EXIT trap kills both on a failure.)
KREST_ENDPOINT="$url_d,$url_e" KREST_CA_FILE=$dir/both.pem "$krest" tail -t failover --from earliest -f '%p %o %s\n' \
  > tailed.txt 2> ftail.err &
tail_pid=$!
pids+=($tail_pid)
KREST_ENDPOINT="$url_d,$url_e" KREST_CA_FILE=$dir/both.pem "$krest" load failover.txt -t failover --batch-records 200 \
  2> fload.err &
load_pid=$!
pids+=($load_pid)
for _ in $(seq 200); do [ "${pd:-0}" -ge 20 ] && break; pd=$(produced_through d); pd=${pd:-0}; sleep 0.02; done
pe=$(produced_through e)
kill -0 $load_pid 2> /dev/null || fail "the load ended before the kill: make it longer ($(cat fload.err | tail -2))"
[ "${pd:-0}" -ge 1 ] && [ "${pe:-0}" -ge 1 ] || fail "both proxies live, but produces went ${pd:-0} to d and ${pe:-0} to e"
kill -9 "$pid_d"
wait $load_pid || fail "the load through d,e after d's kill -9: $(tail -3 fload.err)"
for _ in $(seq 600); do [ "$(cut -d' ' -f3 tailed.txt | sort -u | wc -l)" -ge 400000 ] && break; sleep 0.1; done
kill $tail_pid 2> /dev/null || true
wait $tail_pid 2> /dev/null || true
python3 - <<'PY' || fail "the tail across the kill: $(tail -3 ftail.err)"
last, seen = {}, set()
for line in open("tailed.txt"):
    p, o, v = line.split()
    assert int(o) > last.get(p, -1), f"partition {p}: offset {o} after {last.get(p)}"
    last[p] = int(o)
    seen.add(v)
missing = 400000 - len({f"record-{i}" for i in range(1, 400001)} & seen)
print(f"failover: the tail read {len(seen)} distinct records, {missing} missing")
assert missing == 0
PY
ok "two proxies as one: both used while both live, one killed with kill -9 mid-load, nothing lost, the tail in order ($pd produces through d and $pe through e before the kill)"

# 6. A partition's pages stay with one proxy: read through two proxies as one, each partition's
# fetch stream starts about once and little is fetched for nothing (pages alternating between
# proxies make each read the other's pages on its way, and drop them).
start_proxy f
cat "$dir/e/tls/cert.pem" "$dir/f/tls/cert.pem" > ef.pem
kafka_counter() {  # $1: proxy, $2: counter
  local u="url_$1"
  curl -s --cacert "$dir/$1/tls/cert.pem" "${!u}/metrics" | sed -n "s/^$2 //p"
}
starts() { kafka_counter "$1" krest_kafka_fetch_stream_starts_total; }
unused() { kafka_counter "$1" krest_kafka_fetched_records_unused_total; }
before=$(( $(starts e) + $(starts f) ))
unused_before=$(( $(unused e) + $(unused f) ))
got=$(KREST_ENDPOINT="$url_e,$url_f" KREST_CA_FILE=$dir/ef.pem "$krest" tail -t failover --from earliest --exit-at-end \
  -f '%o\n' 2> ef.err | wc -l)
[ "$got" -ge 400000 ] || fail "the tail over e,f read $got records: $(tail -3 ef.err)"
after_e=$(starts e); after_f=$(starts f)
started=$(( after_e + after_f - before ))
wasted=$(( $(unused e) + $(unused f) - unused_before ))
[ "$(starts f)" -ge 1 ] || fail "the tail over e,f never read through f"
[ "$started" -le 40 ] || fail "reading 8 partitions of 800 pages through two proxies started $started fetch streams"
[ "$wasted" -le 40000 ] || fail "reading 400,000 records through two proxies fetched $wasted records for nothing"
ok "a partition's pages stay with one proxy of two: $started fetch streams started for 8 partitions, $wasted records fetched unused ($got records)"

# 8. A partition read faster than librdkafka fetched it: librdkafka 2.0 stops fetching a partition
# whose queue is full (2 MB here) and, with nothing else to fetch from its leader, looks again up to
# a second later. krest-proxy wakes the fetch when the queue runs dry (a fresh proxy: no other
# partition read keeps the leader's broker thread awake). 28,000 records of 140 bytes: 4 MB, which
# the mock keeps whole.
mock create deep 1 1
awk 'BEGIN { pad = sprintf("%120d", 0); for (i = 0; i < 28000; i++) printf "k%d|r%06d-%s\n", i, i, pad }' > deep.txt
kcat -b "$bs" -P -t deep -K '|' < deep.txt
read_deep() {  # $1: proxy. Reads the partition, whole and in order; sets deep_wakes.
  via "$1" tail -t deep --from earliest --exit-at-end -f '%o\n' > "deep_$1.out" 2> "deep_$1.err" ||
    fail "tail of deep through $1: $(cat "deep_$1.err")"
  seq 0 27999 | cmp -s - "deep_$1.out" ||
    fail "the tail of deep through $1 read $(wc -l < "deep_$1.out") records, not offsets 0-27999 in order"
  deep_wakes=$(kafka_counter "$1" krest_kafka_fetch_stream_wakes_total)
}
# With the default 2 MB queue the 4 MB come in about four fetches, and whether librdkafka stops at a
# full queue at all depends on how fast the reader drains it: on a loaded machine it kept fetching
# in 4 of 12 reads (then there is nothing to wake, and the read is as quick). So here the read is
# checked whole and in order, and the wake below, where a small queue makes the stops certain.
start_proxy g
read_deep g
ok "one partition of 4 MB read whole and in order (its fetch woken $deep_wakes times when librdkafka's queue ran dry)"
# The same with a queue the operator made small (kafka_properties): 16 queues' worth, and woken at
# its size, not at the default's (judged by krest-proxy's own 2 MB, the fetch through a 256 KB
# queue was woken once and the read took 4 s; by hand 4 to 6 wakes in each of 24 reads, loaded or not).
start_proxy h --kafka-properties queued.max.messages.kbytes=256,fetch.message.max.bytes=65536
read_deep h
[ "$deep_wakes" -ge 3 ] || fail "reading 4 MB through a 256 KB queue woke its fetch $deep_wakes times"
ok "through a 256 KB queue set in kafka_properties, the same partition read whole and in order, woken $deep_wakes times"

# 9. Partitions nobody reads stop being read ahead: without it a proxy that once served a read kept
# every partition of it fetching for good (at a partition's end a fetch every 10 ms, and up to 2 MB
# prefetched each). Read again after, each partition opens anew and reads the same records.
start_proxy i --kafka-partition-idle-ms 300
via i tail -t orders --from earliest -e -f '%k|%s|%p\n' | sort > idle_first.txt
[ "$(kafka_counter i krest_kafka_open_partitions)" = 4 ] ||
  fail "after reading 4 partitions, $(kafka_counter i krest_kafka_open_partitions) open"
for _ in $(seq 50); do [ "$(kafka_counter i krest_kafka_open_partitions)" = 0 ] && break; sleep 0.1; done
[ "$(kafka_counter i krest_kafka_open_partitions)" = 0 ] ||
  fail "partitions unread for 5 s with kafka_partition_idle_ms 300: $(kafka_counter i krest_kafka_open_partitions) still open"
[ "$(kafka_counter i krest_kafka_idle_partitions_closed_total)" = 4 ] ||
  fail "idle partitions closed: $(kafka_counter i krest_kafka_idle_partitions_closed_total), not 4"
via i tail -t orders --from earliest -e -f '%k|%s|%p\n' | sort > idle_again.txt
diff idle_first.txt via_kcat.txt > /dev/null && diff idle_again.txt via_kcat.txt > /dev/null ||
  fail "reads before and after the partitions closed differ from kcat's"
ok "4 partitions unread for kafka_partition_idle_ms closed (none open), and read again the same"
# And beyond kafka_open_partitions the least recently read close as others open.
start_proxy j --kafka-open-partitions 2
for p in 0 1 2 3; do
  via j consume -t orders -p "$p" -o 0 -c 1000 -f '%k|%s|%p\n' >> lru.txt 2> /dev/null
  [ "$(kafka_counter j krest_kafka_open_partitions)" -le 2 ] ||
    fail "with kafka_open_partitions 2, $(kafka_counter j krest_kafka_open_partitions) open after partition $p"
done
sort lru.txt | diff - via_kcat.txt > /dev/null || fail "partitions read one by one through 2 open partitions differ from kcat's"
ok "with kafka_open_partitions 2, 4 partitions read one by one with at most 2 open, the same records as kcat"

# 4. Health follows the brokers; librdkafka's statistics are in /metrics.
start_proxy c --kafka-metadata-refresh-ms 200 --kafka-fetch-timeout-ms 1000
health() { curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/c/tls/cert.pem" "$url_c/health"; }
[ "$(health)" = 200 ] || fail "health with the cluster up: $(health)"
# librdkafka's statistics come every 5 s.
for _ in $(seq 150); do
  curl -s --cacert "$dir/c/tls/cert.pem" "$url_c/metrics" > metrics.txt
  grep -q '^krest_kafka_brokers_up' metrics.txt && break
  sleep 0.1
done
grep -q '^krest_kafka_brokers_up{client="krest-proxy#producer-1"} [1-9]' metrics.txt || fail "metrics: $(grep kafka metrics.txt | head)"
ok "librdkafka statistics in /metrics"
for b in 1 2 3; do mock down $b; done
for _ in $(seq 60); do [ "$(health)" = 503 ] && break; sleep 0.1; done
[ "$(health)" = 503 ] || fail "health with every broker down: $(health)"
curl -s --cacert "$dir/c/tls/cert.pem" "$url_c/health" | grep -q "cannot serve" || fail "503 without a reason"
for b in 1 2 3; do mock up $b; done
for _ in $(seq 100); do [ "$(health)" = 200 ] && break; sleep 0.1; done
[ "$(health)" = 200 ] || fail "health after the brokers came back: $(health)"
ok "health says 503 with the brokers down and 200 when they are back"

# 7. Secured brokers: security settings reach librdkafka whole (a value with commas, given as a JSON
# array in the config file) and are checked at start with librdkafka's own validation. The mock
# cluster speaks no SASL, so these brokers are an address nobody listens on: only start-up is tested.
starts_with() {  # $1: name, $2: config JSON; prints the exit status (124: still running after 3 s)
  printf '%s' "$2" > "$1.json"
  local rc=0
  timeout 3 "$proxy_bin" --config "$1.json" --listen 127.0.0.1:0 --data-dir "$dir/$1" > "$1.out" 2> "$1.err" || rc=$?
  echo "$rc"
}
secured='{"backend":"kafka","auth":"none","kafka_bootstrap_servers":"127.0.0.1:1","kafka_properties":['
rc=$(starts_with scram "$secured"'"security.protocol=SASL_SSL","sasl.mechanisms=SCRAM-SHA-512","sasl.username=krest","sasl.password=pw-hunter2"]}')
[ "$rc" = 124 ] && grep -q 'listening on' scram.out || fail "SCRAM over SASL_SSL did not start ($rc): $(cat scram.err)"
rc=$(starts_with oauth "$secured"'"security.protocol=SASL_PLAINTEXT","sasl.mechanisms=OAUTHBEARER","enable.sasl.oauthbearer.unsecure.jwt=true","sasl.oauthbearer.config=principal=krest scope=kafka.read,kafka.write"]}')
[ "$rc" = 124 ] && grep -q 'listening on' oauth.out || fail "OAUTHBEARER with a comma in its value did not start ($rc): $(cat oauth.err)"
rc=$(starts_with unknown "$secured"'"sasl.mechanismz=PLAIN","sasl.password=pw-hunter2"]}')
[ "$rc" = 1 ] || fail "an unknown property: exit $rc"
grep -q "kafka_properties 'sasl.mechanismz': No such configuration property" unknown.err || fail "unknown property: $(cat unknown.err)"
rc=$(starts_with refused "$secured"'"sasl.password=pw-hunter2","security.protocol=SASL_FOO"]}')
[ "$rc" = 1 ] || fail "a refused value: exit $rc"
grep -q "kafka_properties 'security.protocol': Invalid value" refused.err || fail "refused value: $(cat refused.err)"
! grep -q hunter2 scram.err oauth.err unknown.err refused.err || fail "a password reached the log"
ok "secured brokers: SCRAM over SASL_SSL and OAUTHBEARER (a value with commas) start; an unknown property and a refused value stop krest-proxy naming them; no password in the log"
echo "$passed passed, 0 failed"
