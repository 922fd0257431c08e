# Shared by the bench scripts (sourced): krest-proxy processes on 127.0.0.1 that go away with the
# script, wrk runs, medians. Expects $proxy (the binary) and $work (a scratch directory).

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}

auth_flags=(--auth none)
# CPU placement: empty runs anywhere; `taskset -c LIST` keeps the server (or the clients) on those
# CPUs. taskset execs the program, so $! stays the program's pid.
server_pin=()
client_pin=()
url=""
start_proxy() {  # $1: name, rest: flags; sets $url (no subshell, so the pid is kept)
  local name=$1; shift
  "${server_pin[@]}" "$proxy" --listen 127.0.0.1:0 --data-dir "$work/$name" --threads 2 "${auth_flags[@]}" "$@" > "$work/$name.out" 2> "$work/$name.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q 'listening on' "$work/$name.out" 2> /dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^krest-proxy listening on //p' "$work/$name.out")
  [[ -n "$url" ]] || { echo "krest-proxy did not start: $(cat "$work/$name.log")" >&2; exit 1; }
}
stop_proxies() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  pids=()
}

# The fixed produce body wrk replays: 500 records of 100-byte string values.
write_produce_body() {  # $1: file
  python3 - "$1" << 'PY'
import json, sys
records = [{"value": ("r%06d-" % i) + "v" * 92} for i in range(500)]
assert all(len(r["value"]) == 100 for r in records)
open(sys.argv[1], "w").write(json.dumps({"records": records}, separators=(",", ":")))
PY
}

# Fills partition 0 of topic `cons` on the proxy at $url (data dir $1) with 1,000 x 500 records.
prefill_consume_topic() {  # $1: proxy name
  curl -sS --fail --cacert "$work/$1/tls/cert.pem" -X PUT "$url/v1/topics/cons" -d '{"partition_count":1}' > /dev/null
  for _ in $(seq 1000); do
    echo "url = \"$url/v1/producer/topics/cons\""
    echo "data = \"@$work/produce.json\""
    echo 'header = "Content-Type: application/json"'
    echo "cacert = \"$work/$1/tls/cert.pem\""
    echo 'output = "/dev/null"'
    echo "next"
  done | sed '$d' > "$work/prefill.curl"
  curl -sS --fail -K "$work/prefill.curl"
}

# wrk with $threads threads, $conns connections, for $secs seconds.
# CPU time the server spent, in clock ticks: a steadier measure than requests/s on a shared machine.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick=$(getconf CLK_TCK)
last_cpu_us=0  # set by run_wrk for krest-proxy runs: server CPU microseconds per request
run_wrk() {  # $1 url, $2 script, [$3 extra header] -> "rps p50"
  local out before=0 pid=""
  if ((${#pids[@]})); then
    pid=${pids[-1]}
    before=$(cpu_ticks "$pid")
  fi
  out=$("${client_pin[@]}" wrk -t "$threads" -c "$conns" -d "${secs}s" --latency -s "$2" ${3:+-H "$3"} "$1")
  if [[ -n $pid ]]; then
    local requests
    requests=$(awk '/requests in/ {print $1}' <<< "$out")
    last_cpu_us=$(echo "($(cpu_ticks "$pid") - $before) * 1000000 / $tick / $requests" | bc -l)
  fi
  if grep -q 'Non-2xx' <<< "$out"; then
    echo "wrk saw error responses from $1 ($2):" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "$(rps <<< "$out") $(p50 <<< "$out")"
}

rps() { awk '/^Requests\/sec:/ {print $2}'; }
p50() { awk '/^ +50%/ {print $2}'; }
# Median of field $1 of ';'-separated records on stdin.
median() { tr ';' '\n' | grep -v '^$' | cut -d' ' -f"$1" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
