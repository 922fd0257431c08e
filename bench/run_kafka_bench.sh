#!/usr/bin/env bash
# krest through krest-proxy (Kafka backend) vs kcat straight to the same cluster: librdkafka's mock
# cluster on loopback. Prints a Markdown table. Usage: bench/run_kafka_bench.sh [records] [repeats]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
proxy=build-release/apps/krest-proxy
krest=build-release/apps/krest
mock_bin=build-release/tools/krest_kafka_mock
work=$(mktemp -d)
source bench/lib.sh
trap cleanup EXIT
records=${1:-400000}
repeats=${2:-4}

# Keyed records with 100-byte values, placed by murmur2 on both sides (an even spread: the mock
# keeps only about 5 MB per partition, and there are enough partitions for every record to stay,
# so what is produced is what is consumed).
awk -v n="$records" 'BEGIN { pad = sprintf("%092d", 0); for (i = 0; i < n; i++) printf "k%d|r%06d-%s\n", i, i % 1000000, pad }' > "$work/records.txt"
partitions=$(( records * 100 / 500000 + 1 ))

auth_flags=(--auth none)
mock() { echo "$*" > "$work/ctl"; sleep 0.2; }
# A fresh cluster for each run, and the proxies in front of it: the mock keeps every record in
# memory and slowed as topics accumulated (6 GB after fifteen loads of 2,000,000 records by hand;
# with one cluster for all runs, kcat's rows moved most from table to table).
start_cluster() {
  rm -f "$work/ctl"
  mkfifo "$work/ctl"
  sleep 100000 > "$work/ctl" &
  pids+=($!)
  "$mock_bin" 3 < "$work/ctl" > "$work/mock.out" 2> "$work/mock.err" &
  pids+=($!)
  mock_pid=$!
  for _ in $(seq 50); do grep -q '^bootstrap' "$work/mock.out" && break; sleep 0.1; done
  bs=$(sed -n 's/^bootstrap //p' "$work/mock.out")
  [[ -n "$bs" ]] || { echo "the mock cluster did not start: $(cat "$work/mock.err")" >&2; exit 1; }
  start_proxy kafka --backend kafka --kafka-bootstrap-servers "$bs"
  kurl=$url
  kafka_pid=${pids[-1]}
  kflags=(--endpoint "$kurl" --ca-file "$work/kafka/tls/cert.pem")
  # A second proxy in front of the same cluster, and a CA file trusting both: krest uses them as one.
  start_proxy kafka2 --backend kafka --kafka-bootstrap-servers "$bs"
  cat "$work/kafka/tls/cert.pem" "$work/kafka2/tls/cert.pem" > "$work/both.pem"
  bflags=(--endpoint "$kurl,$url" --ca-file "$work/both.pem")
  # Each proxy answers one topic description before the timed runs: krest load and tail describe
  # their topic first, and krest-proxy asks the cluster for the topic's configs, which librdkafka's
  # mock cluster never answers (no controller): the proxy waits a second for it, then stops asking
  # for ten minutes. A real cluster answers at once; the first timed run would otherwise carry it.
  mock create warmup 1 1
  for endpoint in "$kurl" "$url"; do
    "$krest" topics describe warmup --endpoint "$endpoint" --ca-file "$work/both.pem" > /dev/null
  done
}

rate() { python3 -c "print(int($1 / $2))"; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# 4 x 28,000 records like those (about 4 MB a partition: the mock keeps about 5 MB), whatever
# `records` is.
deep=112000
awk -v n="$deep" 'BEGIN { pad = sprintf("%092d", 0); for (i = 0; i < n; i++) printf "k%d|r%06d-%s\n", i, i, pad }' > "$work/deep.txt"

# The CPU a timed run took, in microseconds per record: its command's own (kcat or krest, from
# bash's `times`, children included), krest-proxy's and the mock cluster's (/proc/PID/stat).
# On one machine the ratios above are bounded by these: everything shares its 2 cores.
declare -A cpu
children_cpu() {  # `times` in this shell, not in a subshell (whose counts start at zero)
  times > "$work/times"
  awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times"
}
cpu_begin() { children_cpu > "$work/c0"; p0=$(cpu_ticks "$kafka_pid"); m0=$(cpu_ticks "$mock_pid"); }
cpu_end() {  # $1: the row
  children_cpu > "$work/c1"
  cpu[$1.client]+=" $(echo "($(cat "$work/c1") - $(cat "$work/c0")) * 1000000 / $records" | bc -l)"
  cpu[$1.proxy]+=" $(echo "($(cpu_ticks "$kafka_pid") - $p0) * 1000000 / $tick / $records" | bc -l)"
  cpu[$1.mock]+=" $(echo "($(cpu_ticks "$mock_pid") - $m0) * 1000000 / $tick / $records" | bc -l)"
}

# kcat's consume without its waits (see the first use below).
kcat_fast=(-X fetch.wait.max.ms=10 -X queued.min.messages=10000000)

declare -a kp ki kc kf kd pp pc pw pd tp tc
for r in $(seq "$repeats"); do
  start_cluster
  mock create kcat$r "$partitions" 1
  mock create proxy$r "$partitions" 1
  t0=$(now); kcat -b "$bs" -P -t kcat$r -K '|' -X linger.ms=5 -X partitioner=murmur2_random < "$work/records.txt"; t1=$(now)
  kp+=("$(rate "$records" "$(echo "$t1 - $t0" | bc -l)")")
  # The same with the guarantee krest-proxy's producer gives (no duplicates or reordering from
  # librdkafka's own retries), which costs librdkafka CPU of its own.
  mock create kcati$r "$partitions" 1
  cpu_begin
  t0=$(now); kcat -b "$bs" -P -t kcati$r -K '|' -X linger.ms=5 -X partitioner=murmur2_random -X enable.idempotence=true < "$work/records.txt"; t1=$(now)
  cpu_end kcat_produce
  ki+=("$(rate "$records" "$(echo "$t1 - $t0" | bc -l)")")
  cpu_begin
  t0=$(now); "$krest" load "$work/records.txt" --topic proxy$r --key-delimiter '|' "${kflags[@]}" 2> "$work/load.err"; t1=$(now)
  cpu_end krest_produce
  pp+=("$(rate "$records" "$(echo "$t1 - $t0" | bc -l)")")
  t0=$(now); got=$(kcat -b "$bs" -C -t kcat$r -e -q -f '%o\n' | wc -l); t1=$(now)
  [[ $got -eq $records ]] || { echo "kcat consumed $got of $records" >&2; exit 1; }
  kc+=("$(rate "$records" "$(echo "$t1 - $t0" | bc -l)")")
  # kcat's rate above waits at its end of the log and sometimes a second in the middle: with -e it
  # exits once every partition reported its end, and librdkafka's fetches of a partition at its end
  # wait fetch.wait.max.ms (500 ms) for more, where krest-proxy's readers wait 10 ms; and kcat reads
  # every partition through one queue, so librdkafka stops fetching when that queue holds
  # queued.min.messages (100,000) and looks again up to a second later. So kcat again with neither:
  # its fast mode, steady from run to run.
  cpu_begin
  t0=$(now); got=$(kcat -b "$bs" -C -t kcat$r -e -q -f '%o\n' "${kcat_fast[@]}" | wc -l); t1=$(now)
  cpu_end kcat_consume
  [[ $got -eq $records ]] || { echo "kcat (tuned) consumed $got of $records" >&2; exit 1; }
  kf+=("$(rate "$records" "$(echo "$t1 - $t0" | bc -l)")")
  # The defaults and --window 1 each read the topic twice, in mirrored order (A B B A, the next
  # run B A A B): a topic's first read through a proxy (the proxy's sessions start then) is the
  # slower, and always reading the defaults first put that cost on them alone; one read each,
  # taking turns, left three runs' medians 2:1 in first reads and a pair within noise by hand
  # (1,045,000 and 1,036,000 records/s, 6 runs each) 0.84x apart in one table.
  if (( r % 2 )); then order=(default window1 window1 default); else order=(window1 default default window1); fi
  for mode in "${order[@]}"; do
    wflags=(); [[ $mode == window1 ]] && wflags=(--window 1)
    cpu_begin
    t0=$(now); got=$("$krest" tail --topic proxy$r --from earliest --exit-at-end "${wflags[@]}" --format '%o\n' "${kflags[@]}" | wc -l); t1=$(now)
    if [[ $mode == default ]]; then cpu_end krest_consume; fi
    [[ $got -eq $records ]] || { echo "krest tail ${wflags[*]} consumed $got of $records" >&2; exit 1; }
    if [[ $mode == default ]]; then pc+=("$(rate "$records" "$(echo "$t1 - $t0" | bc -l)")")
    else pw+=("$(rate "$records" "$(echo "$t1 - $t0" | bc -l)")"); fi
  done
  # Deep partitions: 4 of about 4 MB, more than librdkafka queues for a partition being read (2 MB
  # in krest-proxy), so its fetch stops while the reader catches up. Read through a proxy of its
  # own, fresh each run: partitions another reader left open keep their brokers' fetchers awake.
  mock create deep$r 4 1
  kcat -b "$bs" -P -t deep$r -K '|' -X linger.ms=5 -X partitioner=murmur2_random < "$work/deep.txt"
  t0=$(now); got=$(kcat -b "$bs" -C -t deep$r -e -q -f '%o\n' "${kcat_fast[@]}" | wc -l); t1=$(now)
  [[ $got -eq $deep ]] || { echo "kcat consumed $got of $deep (deep)" >&2; exit 1; }
  kd+=("$(rate "$deep" "$(echo "$t1 - $t0" | bc -l)")")
  start_proxy deep$r --backend kafka --kafka-bootstrap-servers "$bs"
  dflags=(--endpoint "$url" --ca-file "$work/deep$r/tls/cert.pem")
  "$krest" topics describe warmup "${dflags[@]}" > /dev/null
  t0=$(now); got=$("$krest" tail --topic deep$r --from earliest --exit-at-end --format '%o\n' "${dflags[@]}" | wc -l); t1=$(now)
  [[ $got -eq $deep ]] || { echo "krest tail consumed $got of $deep (deep)" >&2; exit 1; }
  pd+=("$(rate "$deep" "$(echo "$t1 - $t0" | bc -l)")")
  kill "${pids[-1]}"
  mock create both$r "$partitions" 1
  t0=$(now); "$krest" load "$work/records.txt" --topic both$r --key-delimiter '|' "${bflags[@]}" 2> "$work/load.err"; t1=$(now)
  tp+=("$(rate "$records" "$(echo "$t1 - $t0" | bc -l)")")
  t0=$(now); got=$("$krest" tail --topic both$r --from earliest --exit-at-end --format '%o\n' "${bflags[@]}" | wc -l); t1=$(now)
  [[ $got -eq $records ]] || { echo "krest tail over two proxies consumed $got of $records" >&2; exit 1; }
  tc+=("$(rate "$records" "$(echo "$t1 - $t0" | bc -l)")")
  stop_proxies  # and the cluster
done
kp_m=$(printf '%s\n' "${kp[@]}" | median); ki_m=$(printf '%s\n' "${ki[@]}" | median); pp_m=$(printf '%s\n' "${pp[@]}" | median)
kc_m=$(printf '%s\n' "${kc[@]}" | median); pc_m=$(printf '%s\n' "${pc[@]}" | median)
kf_m=$(printf '%s\n' "${kf[@]}" | median)
kd_m=$(printf '%s\n' "${kd[@]}" | median); pd_m=$(printf '%s\n' "${pd[@]}" | median)
pw_m=$(printf '%s\n' "${pw[@]}" | median)
tp_m=$(printf "%s\n" "${tp[@]}" | median); tc_m=$(printf "%s\n" "${tc[@]}" | median)
echo "| $records records of 100 bytes, $partitions partitions | kcat straight to the cluster, records/s | krest through krest-proxy, records/s | ratio |"
echo "|---|---:|---:|---:|"
printf '| produce (kcat -P / krest load) | %s | %s | %.2f |\n' "$kp_m" "$pp_m" "$(echo "$pp_m / $kp_m" | bc -l)"
printf '| produce, kcat with `-X enable.idempotence=true` (as krest-proxy produces) | %s | %s | %.2f |\n' "$ki_m" "$pp_m" "$(echo "$pp_m / $ki_m" | bc -l)"
printf '| consume (kcat -C -e / krest tail --exit-at-end) | %s | %s | %.2f |\n' "$kc_m" "$pc_m" "$(echo "$pc_m / $kc_m" | bc -l)"
printf '| consume, kcat with `%s` (no waits: its fast mode) | %s | %s | %.2f |\n' "${kcat_fast[*]}" "$kf_m" "$pc_m" "$(echo "$pc_m / $kf_m" | bc -l)"
printf '| consume 4 deep partitions (%s records, about 4 MB each), kcat as above | %s | %s | %.2f |\n' "$deep" "$kd_m" "$pd_m" "$(echo "$pd_m / $kd_m" | bc -l)"
printf '| consume, krest tail --window 1 | %s | %s | %.2f |\n' "$kc_m" "$pw_m" "$(echo "$pw_m / $kc_m" | bc -l)"
printf '| produce through two proxies as one (`--endpoint A,B`) | %s | %s | %.2f |\n' "$kp_m" "$tp_m" "$(echo "$tp_m / $kp_m" | bc -l)"
printf '| consume through two proxies as one | %s | %s | %.2f |\n' "$kc_m" "$tc_m" "$(echo "$tc_m / $kc_m" | bc -l)"
echo
echo "| CPU per record, microseconds (medians) | the client's own | krest-proxy | the mock cluster | total |"
echo "|---|---:|---:|---:|---:|"
cpu_row() {  # $1: label, $2: row, $3: 1 if through krest-proxy
  local c p m
  c=$(printf '%s\n' ${cpu[$2.client]} | median)
  p=0; [[ $3 == 1 ]] && p=$(printf '%s\n' ${cpu[$2.proxy]} | median)
  m=$(printf '%s\n' ${cpu[$2.mock]} | median)
  printf '| %s | %.2f | %s | %.2f | %.2f |\n' "$1" "$c" "$([[ $3 == 1 ]] && printf '%.2f' "$p" || echo '-')" "$m" "$(echo "$c + $p + $m" | bc -l)"
}
cpu_row 'produce, kcat -P (idempotent)' kcat_produce 0
cpu_row 'produce, krest load through krest-proxy' krest_produce 1
cpu_row 'consume, kcat -C (fast mode)' kcat_consume 0
cpu_row 'consume, krest tail through krest-proxy' krest_consume 1
