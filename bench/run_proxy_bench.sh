#!/usr/bin/env bash
# krest-proxy under wrk, side by side with nginx `return 200` for the same bodies (the transport
# ceiling), over HTTPS keep-alive on loopback. Runs are interleaved and repeated; the table reports
# medians. Usage: bench/run_proxy_bench.sh [seconds-per-run] [repeats]   (defaults: 8, 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-8}
repeats=${2:-3}
conns=${KREST_BENCH_CONNECTIONS:-16}
threads=${KREST_BENCH_WRK_THREADS:-2}

scripts/setup.sh --bench > /dev/null
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKREST_BUILD_TESTS=OFF > /dev/null
cmake --build build-release -j "$(nproc)" --target krest-proxy > /dev/null
proxy=build-release/apps/krest-proxy

work=$(mktemp -d)
chmod 755 "$work"  # nginx workers run unprivileged and must read the consume response file
source bench/lib.sh
trap cleanup EXIT

# Authentication: "off" runs use --auth none; "on" runs validate a development-authority token on
# every request (RS256 once per token, then the verified-token cache).
secret="bench-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '{"tenant":"bench","applications":[{"client_id":"bench","secret_hash":"%s","groups":["bench"]}]}' \
  "$(printf '%s' "$secret" | "$proxy" --hash-secret)" > "$work/authority.json"
use_auth() {  # on|off
  if [[ $1 == on ]]; then
    auth_flags=(--authority-file "$work/authority.json" --auth-allowed-groups bench)
  else
    auth_flags=(--auth none)
  fi
}
token_for() {  # $1: name of a running proxy started with auth on -> "Authorization: Bearer ..."
  local port=${url##*:}
  curl -sS --fail --cacert "$work/$1/tls/cert.pem" -d grant_type=client_credentials -d client_id=bench \
    -d "client_secret=$secret" --data-urlencode scope=https://hib.azurehdinsight.net/.default \
    "https://localhost:$port/bench/oauth2/v2.0/token" |
    python3 -c 'import json,sys; print("Authorization: Bearer " + json.load(sys.stdin)["access_token"])'
}

write_produce_body "$work/produce.json"
export KREST_BENCH_BODY="$work/produce.json"

# Prefill a partition for consume: 1,000 windows of 500 records.
start_proxy consume-data --durability none
cons_url=$url
prefill_consume_topic consume-data
got=$(curl -sS --cacert "$work/consume-data/tls/cert.pem" "$cons_url/v1/consumer/topics/cons/partitions/0/offsets/1000?count=500" |
      tee "$work/consume.json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["records"]))')
[[ "$got" == 500 ]] || { echo "prefill failed: a consume returned $got records"; exit 1; }
stop_proxies
export KREST_BENCH_WINDOWS=1000 KREST_BENCH_PATH=/v1/consumer/topics/cons/partitions/0/offsets/

# nginx with the same certificate, threads (2 workers) and bodies.
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx/www/v1/consumer/topics/cons/partitions/0"
cp "$work/consume.json" "$work/nginx/consume.json"
cat > "$work/nginx/nginx.conf" << NGINX
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  ssl_protocols TLSv1.2 TLSv1.3;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/consume-data/tls/cert.pem;
    ssl_certificate_key $work/consume-data/tls/key.pem;
    keepalive_requests 1000000;
    client_max_body_size 64m;
    client_body_buffer_size 1m;
    location /v1/producer/ { return 200 '{"offsets":[]}'; }
    location /v1/consumer/ { default_type application/json; root $work/nginx; try_files /consume.json =404; }
  }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log"
trap 'kill $(cat "$work/nginx/nginx.pid") 2>/dev/null || true; cleanup' EXIT
nginx_url="https://127.0.0.1:$nginx_port"

declare -A results cpu
group_commit=""
for round in $(seq "$repeats"); do
  for mode in none fsync; do
    start_proxy "produce-$mode-$round" --durability "$mode"
    curl -sS --fail --cacert "$work/produce-$mode-$round/tls/cert.pem" -X PUT "$url/v1/topics/bench" -d '{"partition_count":4}' > /dev/null
    run_wrk "$url/v1/producer/topics/bench" bench/wrk/produce.lua > "$work/wrk.out"
    results["produce-$mode"]+="$(cat "$work/wrk.out");"
    cpu["produce-$mode"]+="$last_cpu_us "
    if [[ $mode == fsync ]]; then
      metrics=$(curl -sS --cacert "$work/produce-$mode-$round/tls/cert.pem" "$url/metrics")
      waits=$(awk '/^krest_proxy_log_durable_waits_total / {print $2}' <<< "$metrics")
      syncs=$(awk '/^krest_proxy_log_fsyncs_total / {print $2}' <<< "$metrics")
      group_commit+="$(echo "scale=1; $waits / $syncs" | bc -l) "
    fi
    stop_proxies
  done
  use_auth on
  start_proxy "produce-auth-$round" --durability none
  header=$(token_for "produce-auth-$round")
  curl -sS --fail --cacert "$work/produce-auth-$round/tls/cert.pem" -H "$header" -X PUT "$url/v1/topics/bench" -d '{"partition_count":4}' > /dev/null
  run_wrk "$url/v1/producer/topics/bench" bench/wrk/produce.lua "$header" > "$work/wrk.out"
  results["produce-auth"]+="$(cat "$work/wrk.out");"
  cpu["produce-auth"]+="$last_cpu_us "
  stop_proxies
  use_auth off
  results["produce-nginx"]+="$(run_wrk "$nginx_url/v1/producer/topics/bench" bench/wrk/produce.lua);"
  start_proxy consume-data --durability none
  run_wrk "$url" bench/wrk/consume.lua > "$work/wrk.out"
  results["consume-krest"]+="$(cat "$work/wrk.out");"
  cpu["consume-krest"]+="$last_cpu_us "
  stop_proxies
  use_auth on
  start_proxy consume-data --durability none
  run_wrk "$url" bench/wrk/consume.lua "$(token_for consume-data)" > "$work/wrk.out"
  results["consume-auth"]+="$(cat "$work/wrk.out");"
  cpu["consume-auth"]+="$last_cpu_us "
  stop_proxies
  use_auth off
  results["consume-nginx"]+="$(run_wrk "$nginx_url" bench/wrk/consume.lua);"
done

row() {  # name, key, records per request
  local rps lat
  rps=$(median 1 <<< "${results[$2]}")
  lat=$(median 2 <<< "${results[$2]}")
  printf '| %s | %.0f | %.0f | %s | %s |\n' "$1" "$rps" "$(echo "$rps * $3" | bc -l)" "$lat" "$(tr ';' ' ' <<< "${results[$2]}" | awk '{for (i=1;i<=NF;i+=2) printf "%s%.0f", (i>1?", ":""), $i}')"
}
ratio() { echo "scale=2; $(median 1 <<< "${results[$1]}") / $(median 1 <<< "${results[$2]}")" | bc -l; }

echo
echo "wrk -t $threads -c $conns -d ${secs}s, HTTPS keep-alive, krest-proxy and nginx with 2 threads/workers; medians of $repeats interleaved runs"
echo
echo "| run | requests/s | records/s | p50 latency | requests/s of each run |"
echo "|---|---|---|---|---|"
row "krest-proxy produce, durability=none" produce-none 500
row "krest-proxy produce, durability=none, auth=jwt" produce-auth 500
row "krest-proxy produce, durability=fsync (default)" produce-fsync 500
row "nginx return 200, same produce body" produce-nginx 500
row "krest-proxy consume count=500" consume-krest 500
row "krest-proxy consume count=500, auth=jwt" consume-auth 500
row "nginx static file, same consume response" consume-nginx 500
echo
echo "Group commit with durability=fsync: produce requests acknowledged per fdatasync, each run: $group_commit"
echo
echo "produce (none) / nginx: $(ratio produce-none produce-nginx); produce (fsync) / nginx: $(ratio produce-fsync produce-nginx); consume / nginx: $(ratio consume-krest consume-nginx)"
echo
cpu_median() { tr ' ' '\n' <<< "${cpu[$1]}" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}'; }
echo "Authentication on / off (auth=jwt vs auth=none, same run): requests/s produce $(ratio produce-auth produce-none), consume $(ratio consume-auth consume-krest)."
echo "krest-proxy CPU per request (user+system, medians): produce $(cpu_median produce-none) µs off, $(cpu_median produce-auth) µs on"\
" ($(echo "scale=3; $(cpu_median produce-auth) / $(cpu_median produce-none)" | bc -l)x);"\
" consume $(cpu_median consume-krest) µs off, $(cpu_median consume-auth) µs on"\
" ($(echo "scale=3; $(cpu_median consume-auth) / $(cpu_median consume-krest)" | bc -l)x)."
