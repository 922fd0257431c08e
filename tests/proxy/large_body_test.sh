#!/usr/bin/env bash
# krest-proxy with one I/O thread: while a 40 MB produce body is parsed and stored, small requests
# on another connection keep being answered at once, because a body of 1 MiB or more is parsed and
# stored on a pool, not on the I/O thread that read it. Judged side by side in one run: the
# slowest small request must take under half of the large one's own time (on its I/O thread they
# would wait for all of it).
set -euo pipefail
proxy_bin=$1
dir=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$proxy_bin" --listen 127.0.0.1:0 --data-dir "$dir/data" --auth none --threads 1 --durability none \
  > "$dir/out" 2> "$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$dir/out" && break; sleep 0.1; done
url=$(sed -n 's/^krest-proxy listening on //p' "$dir/out")
[ -n "$url" ] || { echo "FAIL: the proxy did not start: $(cat "$dir/err")"; exit 1; }
python3 - "${url##*:}" "$dir/data/tls/cert.pem" <<'PY'
import json, socket, ssl, sys, threading, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)

def connect():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60), server_hostname="localhost")

def answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        rest += s.recv(65536)
    return head.decode(), rest

def request(method, path, body=b""):
    return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body

small = connect()
small.sendall(request("PUT", "/v1/topics/t", b'{"partition_count":2}'))
assert answer(small)[0].startswith("HTTP/1.1 200")

# 20,000 records of 2,000 characters: a 40 MB body.
body = json.dumps({"records": [{"value": ("r%06d" % i) + "v" * 1993} for i in range(20000)]}).encode()
large = connect()
timing = {}
def send_large():
    large.sendall(request("POST", "/v1/producer/topics/t", body))
    timing["sent"] = time.monotonic()
    head, text = answer(large)
    timing["answered"] = time.monotonic()
    timing["head"] = head
    timing["offsets"] = len(json.loads(text)["offsets"])
t = threading.Thread(target=send_large)
t.start()
while "sent" not in timing:
    time.sleep(0.001)
latencies = []
while "answered" not in timing:
    start = time.monotonic()
    small.sendall(b"GET /v1/metadata/topics HTTP/1.1\r\nHost: localhost\r\n\r\n")
    head, _ = answer(small)
    assert head.startswith("HTTP/1.1 200"), head
    latencies.append(time.monotonic() - start)
t.join()
assert timing["head"].startswith("HTTP/1.1 200") and timing["offsets"] == 20000, timing["head"]
large_s = timing["answered"] - timing["sent"]
worst = max(latencies)
print(f"the 40 MB produce took {large_s * 1000:.0f} ms after its last byte; {len(latencies)} small requests "
      f"meanwhile, the slowest {worst * 1000:.1f} ms")
assert len(latencies) >= 3, "too few small requests ran while the large one was handled"
assert worst < 0.5 * large_s, "a small request waited for the large body's parse"
print("ok: small requests are answered while a 40 MB body is parsed and stored (one I/O thread)")
PY
