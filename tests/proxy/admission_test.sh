#!/usr/bin/env bash
# krest-proxy under an offer of large bodies: past max_body_memory_bytes a request is refused from
# its header (503, Retry-After) before its body is read, the refusal is counted in /metrics, and
# the bodies already admitted complete; once they have, the same request is admitted.
set -euo pipefail
proxy_bin=$1
dir=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$proxy_bin" --listen 127.0.0.1:0 --data-dir "$dir/data" --auth none --max-body-bytes 3500000 --max-body-memory-bytes 8000000 \
  > "$dir/out" 2> "$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$dir/out" && break; sleep 0.1; done
url=$(sed -n 's/^krest-proxy listening on //p' "$dir/out")
[ -n "$url" ] || { echo "FAIL: the proxy did not start: $(cat "$dir/err")"; exit 1; }
python3 - "${url##*:}" "$dir/data/tls/cert.pem" <<'PY'
import json, socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)

def connect():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    return s

def answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head.decode(), rest.decode(errors="replace")

def request(method, path, body=b""):
    return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()

s = connect()
s.sendall(request("PUT", "/v1/topics/big") + b"")
head, _ = answer(s)
assert head.startswith("HTTP/1.1 200"), head

# Six records of 500,000 characters: a 3 MB body, under max_body_bytes (3.5 MB). A body counts twice
# (as it came and as parsed): one holds 6 MB, two would pass 8 MB.
body = json.dumps({"records": [{"value": "x" * 500000} for _ in range(6)]}).encode()
a = connect()
a.sendall(request("POST", "/v1/producer/topics/big", body) + body[:1000])  # admitted, still arriving
time.sleep(0.5)
b = connect()
start = time.time()
b.sendall(request("POST", "/v1/producer/topics/big", body))  # the header alone: its body would pass 8 MB
head, text = answer(b)
assert head.startswith("HTTP/1.1 503"), head
assert "retry-after: 1" in head.lower(), head
assert "max_body_memory_bytes" in text, text
assert time.time() - start < 3, "the refusal waited for something"
print("ok: a body past max_body_memory_bytes is refused from its header with 503 and Retry-After")

a.sendall(body[1000:])
head, text = answer(a)
assert head.startswith("HTTP/1.1 200"), head
assert len(json.loads(text)["offsets"]) == 6, text
c = connect()
c.sendall(request("POST", "/v1/producer/topics/big", body) + body)
head, _ = answer(c)
assert head.startswith("HTTP/1.1 200"), head
print("ok: the admitted body completes, and once it has the same request is admitted")

m = connect()
m.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
head, text = answer(m)
assert "krest_proxy_body_memory_refused_total 1" in text, [l for l in text.splitlines() if "refused" in l]
print("ok: /metrics counts the refusal")
print("3 passed, 0 failed")
PY
