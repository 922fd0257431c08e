#!/usr/bin/env bash
# krest-proxy under an offer of large bodies far beyond its memory bound, with its default
# settings: 2,000 idle TLS connections held open, 64 connections each posting a 60 MiB produce
# body (3.75 GiB offered, retried after Retry-After when refused), and a small producer and
# consumer beside them. Prints a Markdown table: the proxy's peak RSS against its bound, what was
# refused, the small requests' latency, and whether everything acknowledged is there.
# Usage: bench/run_overload_bench.sh [big bodies] [MiB each]   (defaults 64, 60)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bodies=${1:-64}
mib=${2:-60}
proxy=build-release/apps/krest-proxy
work=$(mktemp -d)
source bench/lib.sh
trap cleanup EXIT
ulimit -n 20000 2> /dev/null || ulimit -n "$(ulimit -Hn)"

# The defaults, but for authentication (this measures memory, not tokens).
start_proxy overload
pid=${pids[-1]}
port=${url##*:}
python3 - "$port" "$work/overload/tls/cert.pem" "$pid" "$bodies" "$mib" << 'PY'
import json, socket, ssl, sys, threading, time

port, ca, pid, bodies, mib = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ctx = ssl.create_default_context(cafile=ca)

# Connections come from several loopback addresses, as from several machines: the default
# max_connections_per_source (1,024) holds for each.
def connect(source, timeout=120):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    return ctx.wrap_socket(raw, server_hostname="localhost")

def answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before an answer")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower().decode()] = value.strip().decode()
    length = int(fields.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed in the middle of an answer")
        rest += chunk
    return int(head.split(b" ")[1]), fields, rest

def request(s, method, path, body=b""):
    s.sendall((f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    return answer(s)

def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

admin = connect("127.0.0.1")
for topic in ("big", "small"):
    status, _, text = request(admin, "PUT", f"/v1/topics/{topic}", b'{"partition_count":1}')
    assert status == 200, (status, text)
status, _, metrics = request(admin, "GET", "/metrics")
bound = next(float(l.split()[-1]) for l in metrics.decode().splitlines()
             if l.startswith("krest_proxy_body_memory_limit_bytes"))
baseline = rss_mib()

idle = [connect(f"127.0.0.{2 + i % 2}") for i in range(2000)]
after_idle = rss_mib()

# Records of 60 KiB values: a body of `mib` MiB.
value = "v" * (60 * 1024)
per_body = mib * 1024 * 1024 // (len(value) + 14)
big_body = json.dumps({"records": [{"value": value}] * per_body}).encode()
peak = [rss_mib()]
done = threading.Event()
big = {"acknowledged": 0, "refused": 0, "failed": 0}
lock = threading.Lock()

def watch():
    while not done.is_set():
        peak[0] = max(peak[0], rss_mib())
        time.sleep(0.02)

# As a well-behaved client of a large body: the header first with Expect: 100-continue, the body
# only after 100 Continue, so that a refusal from the header costs no upload; refused, it waits as
# Retry-After says and asks again on a new connection (the proxy closes a refused one).
def big_sender(i):
    source = f"127.0.0.{4 + i % 4}"
    while True:
        s = connect(source, timeout=600)
        s.sendall((f"POST /v1/producer/topics/big HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   f"Expect: 100-continue\r\nContent-Length: {len(big_body)}\r\n\r\n").encode())
        status, fields, text = answer(s)
        if status == 100:
            s.sendall(big_body)
            status, fields, text = answer(s)
        if status == 200:
            with lock:
                big["acknowledged"] += 1
            return
        if status in (429, 503):
            with lock:
                big["refused"] += 1
            s.close()
            time.sleep(float(fields.get("retry-after", "1")))
            continue
        with lock:
            big["failed"] += 1
        print(f"big body answered {status}: {text[:200]!r}", file=sys.stderr)
        return

small = {"latencies": [], "acknowledged": 0, "failed": 0, "consumed": 0}
def small_caller():
    s = connect("127.0.0.9", timeout=60)
    i = 0
    while not done.is_set():
        body = json.dumps({"records": [{"value": f"small-{i}-{k}"} for k in range(10)]}).encode()
        t0 = time.monotonic()
        status, _, _ = request(s, "POST", "/v1/producer/topics/small", body)
        small["latencies"].append(time.monotonic() - t0)
        if status == 200:
            small["acknowledged"] += 10
        else:
            small["failed"] += 1
        t0 = time.monotonic()
        status, _, text = request(s, "GET", "/v1/consumer/topics/small/partitions/0/offsets/0?count=10")
        small["latencies"].append(time.monotonic() - t0)
        if status != 200:
            small["failed"] += 1
        i += 1
        time.sleep(0.02)

threading.Thread(target=watch, daemon=True).start()
caller = threading.Thread(target=small_caller)
caller.start()
start = time.monotonic()
senders = [threading.Thread(target=big_sender, args=(i,)) for i in range(bodies)]
for t in senders:
    t.start()
for t in senders:
    t.join()
elapsed = time.monotonic() - start
done.set()
caller.join()
peak[0] = max(peak[0], rss_mib())

# Everything acknowledged is there: the partitions' ends against what was acknowledged.
def latest(topic):
    status, _, text = request(admin, "GET", f"/v1/metadata/topics/{topic}/partitions/0")
    assert status == 200, (status, text)
    return json.loads(text)["latest_offset"]
big_stored, small_stored = latest("big"), latest("small")
status, _, metrics = request(admin, "GET", "/metrics")
refused_metric = sum(float(l.split()[-1]) for l in metrics.decode().splitlines()
                     if l.startswith("krest_proxy_body_memory_refused_total"))
idle_alive = 0
for s in idle:
    try:
        s.setblocking(False)
        try:
            idle_alive += s.recv(1) != b""
        except ssl.SSLWantReadError:
            idle_alive += 1
    except (OSError, ssl.SSLError):
        pass

lat = sorted(small["latencies"])
pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
offered = bodies * len(big_body) / (1 << 30)
print(f"| offered | memory bound | RSS before / with 2,000 idle connections | peak RSS | peak over bound | big bodies refused (503) | big bodies stored | small requests | small p50 ms | small p99 ms | small max ms | small failures | acknowledged records missing | idle connections kept |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
missing = (big["acknowledged"] * per_body - big_stored) + (small["acknowledged"] - small_stored)
print(f"| {bodies} x {len(big_body) / (1 << 20):.0f} MiB = {offered:.2f} GiB in {elapsed:.0f} s | {bound / (1 << 20):.0f} MiB "
      f"| {baseline:.0f} / {after_idle:.0f} MiB | {peak[0]:.0f} MiB | {peak[0] - bound / (1 << 20):.0f} MiB "
      f"| {big['refused']} ({refused_metric:.0f} in /metrics) | {big['acknowledged']} of {bodies} ({big['failed']} failed) "
      f"| {len(lat)} | {pct(0.5):.1f} | {pct(0.99):.1f} | {lat[-1] * 1000:.1f} | {small['failed']} | {missing} | {idle_alive} of 2000 |")
ok = missing == 0 and big["failed"] == 0 and small["failed"] == 0 and big["acknowledged"] == bodies
sys.exit(0 if ok else 1)
PY
