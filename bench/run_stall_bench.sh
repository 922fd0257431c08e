#!/usr/bin/env bash
# A normal request's latency while wrong client secrets are posted to krest-proxy's development
# authority (the stall an adversarial review found: scrypt on the I/O threads). One keep-alive
# client asks GET /v1/metadata/topics in a loop, first alone, then while 40 connections post wrong
# secrets as fast as they are answered (from 4 processes of 10 threads, so that the probe never waits
# for the guessers' GIL). Prints a Markdown table.
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
import multiprocessing, sys, threading, time, requests
url, ca, secret, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
token_url = url + "/bench/oauth2/v2.0/token"
form = {"grant_type": "client_credentials", "client_id": "bench-app", "client_secret": secret,
        "scope": "https://hib.azurehdinsight.net/.default"}
s = requests.Session()
s.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override verify
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

# The guessers in processes of their own: threads beside the probe would make it wait for
# Python's GIL, and the probe would measure that instead of the proxy.
def guess(i, until, out):
    g = requests.Session()
    g.trust_env = False
    g.verify = ca
    n, counts = 0, {}
    while time.monotonic() < until:
        r = g.post(token_url, data=dict(form, client_id="id-%d" % (i % 8), client_secret="wrong-%d" % n))
        n += 1
        counts[r.status_code] = counts.get(r.status_code, 0) + 1
    out.put(counts)

def guess_process(first, until, out):
    threads = [threading.Thread(target=guess, args=(i, until, out)) for i in range(first, first + 10)]
    for t in threads: t.start()
    for t in threads: t.join()

until = time.monotonic() + 0.5 + secs + 0.5
out = multiprocessing.Queue()
procs = [multiprocessing.Process(target=guess_process, args=(k * 10, until, out)) for k in range(4)]
for p in procs: p.start()
time.sleep(0.5)
attacked = probe(secs)
counts = {}
for _ in range(40):
    for code, n in out.get().items():
        counts[code] = counts.get(code, 0) + n
for p in procs: p.join()
print("| phase | p50 ms | p99 ms | max ms | requests |")
print("|---|---:|---:|---:|---:|")
print("| alone | %.2f | %.2f | %.2f | %d |" % alone)
print("| 40 connections posting wrong secrets | %.2f | %.2f | %.2f | %d |" % attacked)
print()
print("Answers to the wrong secrets: " + ", ".join("%d x %d" % (n, code) for code, n in sorted(counts.items())) +
      "; p99 under attack / alone: %.2f" % (attacked[1] / alone[1]))
PY
