#!/usr/bin/env bash
# A normal request's latency while wrong client secrets are posted to krest-proxy's development
# authority (the stall an adversarial review found: scrypt on the I/O threads). One keep-alive
# client asks GET /v1/metadata/topics in a loop, first alone, then while 40 connections post wrong
# secrets as fast as they are answered. Prints a Markdown table.
# Usage: bench/run_stall_bench.sh [seconds per phase]   (default 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-10}
proxy=build-release/apps/krest-proxy
work=$(mktemp -d)
source bench/lib.sh
trap cleanup EXIT

secret=bench-secret-0123456789abcdef
hash=$(printf '%s' "$secret" | "$proxy" --hash-secret)  # the default cost: what a user's authority uses
printf '{"tenant":"bench","applications":[{"client_id":"bench-app","secret_hash":"%s","groups":["g"]}]}\n' \
  "$hash" > "$work/authority.json"
auth_flags=(--authority-file "$work/authority.json" --auth-allowed-groups g)
start_proxy stall --durability none
/usr/bin/python3 - "$url" "$work/stall/tls/cert.pem" "$secret" "$secs" << 'PY'
import sys, threading, time, requests
url, ca, secret, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
token_url = url + "/bench/oauth2/v2.0/token"
form = {"grant_type": "client_credentials", "client_id": "bench-app", "client_secret": secret,
        "scope": "https://hib.azurehdinsight.net/.default"}
s = requests.Session()
s.verify = ca
token = s.post(token_url, data=form).json()["access_token"]
s.headers["Authorization"] = "Bearer " + token

def probe(seconds):
    times, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        assert s.get(url + "/v1/metadata/topics").status_code == 200
        times.append((time.monotonic() - t) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99)], times[-1], len(times)

alone = probe(secs)
stop, counts, lock = False, {}, threading.Lock()
def guess(i):
    g = requests.Session()
    g.verify = ca
    n = 0
    while not stop:
        r = g.post(token_url, data=dict(form, client_id="id-%d" % (i % 8), client_secret="wrong-%d" % n))
        n += 1
        with lock:
            counts[r.status_code] = counts.get(r.status_code, 0) + 1
guessers = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
for t in guessers: t.start()
time.sleep(0.5)
attacked = probe(secs)
stop = True
for t in guessers: t.join()
print("| phase | p50 ms | p99 ms | max ms | requests |")
print("|---|---:|---:|---:|---:|")
print("| alone | %.2f | %.2f | %.2f | %d |" % alone)
print("| 40 connections posting wrong secrets | %.2f | %.2f | %.2f | %d |" % attacked)
print()
print("Answers to the wrong secrets: " + ", ".join("%d x %d" % (n, code) for code, n in sorted(counts.items())) +
      "; p99 under attack / alone: %.2f" % (attacked[1] / alone[1]))
PY
