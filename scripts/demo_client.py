#!/usr/bin/env python3
"""Loads a file into a topic through the v1 API, tails it back, and prints a summary.

A stand-in for `krest load` and `krest tail` (issue 5) so the demo runs end to end today. It gets its
token as HDInsight users do, with MSAL's client-credentials flow, here from krest-proxy's development
authority; the client secret comes from the KREST_CLIENT_SECRET environment variable."""
import argparse
import collections
import json
import os
import sys
import tempfile
import time

import msal
import requests

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--ca", required=True)
parser.add_argument("--authority", required=True, help="e.g. https://localhost:8443/krest-dev")
parser.add_argument("--client-id", required=True)
parser.add_argument("--file", help="lines to load; default: 200,000 generated lines")
parser.add_argument("--topic", default="demo")
parser.add_argument("--partitions", type=int, default=3)
parser.add_argument("--batch", type=int, default=1000)
args = parser.parse_args()

# MSAL's session must trust the proxy's CA: requests lets these variables override Session.verify.
for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(var, None)
app = msal.ConfidentialClientApplication(args.client_id, client_credential=os.environ["KREST_CLIENT_SECRET"],
                                         authority=args.authority, validate_authority=False, verify=args.ca)
token = app.acquire_token_for_client(scopes=["https://hib.azurehdinsight.net/.default"])
if "access_token" not in token:
    sys.exit(f"no token from {args.authority}: {token.get('error')}: {token.get('error_description')}")
session = requests.Session()
session.headers["Authorization"] = "Bearer " + token["access_token"]


def call(method, path, **kw):
    # verify= on each call: requests lets REQUESTS_CA_BUNDLE override Session.verify.
    r = session.request(method, args.url + path, verify=args.ca, timeout=30, **kw)
    if r.status_code != 200:
        sys.exit(f"{method} {path}: HTTP {r.status_code}: {r.text}")
    return r


path = args.file
if not path:
    fd, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "w") as f:
        for i in range(200_000):
            f.write(f"line {i:06d} user-{i % 977} {'x' * (i % 60)}\n")

call("PUT", f"/v1/topics/{args.topic}", json={"partition_count": args.partitions})

started = time.monotonic()
sent = collections.Counter()
loaded = loaded_bytes = requests_made = 0
with open(path, encoding="utf-8") as f:
    batch = []

    def flush():
        global loaded, requests_made
        if batch:
            body = json.dumps({"records": [{"key": str(n % 1000), "value": v} for n, v in batch]})
            call("POST", f"/v1/producer/topics/{args.topic}", data=body, headers={"Content-Type": "application/json"})
            loaded += len(batch)
            requests_made += 1
            batch.clear()

    for n, line in enumerate(f):
        value = line.rstrip("\n")
        sent[value] += 1
        loaded_bytes += len(value.encode())
        batch.append((n, value))
        if len(batch) == args.batch:
            flush()
    flush()
load_seconds = time.monotonic() - started

started = time.monotonic()
received = collections.Counter()
tailed = 0
for p in range(args.partitions):
    offset = 0
    while True:
        r = call("GET", f"/v1/consumer/topics/{args.topic}/partitions/{p}/offsets/{offset}?count=5000")
        records = r.json()["records"]
        next_offset = int(r.headers["NextOffset"])
        for rec in records:
            received[rec["value"]] += 1
        tailed += len(records)
        if not records:
            break
        offset = next_offset
tail_seconds = time.monotonic() - started

if not args.file:
    os.unlink(path)
ok = received == sent
print()
print(f"  token             from {args.authority} (MSAL, client credentials)")
print(f"  file              {path if args.file else 'generated: 200,000 lines'}")
print(f"  topic             {args.topic} ({args.partitions} partitions)")
print(f"  loaded            {loaded:,} records, {loaded_bytes / 1e6:.1f} MB in {requests_made:,} requests, "
      f"{load_seconds:.2f} s ({loaded / max(load_seconds, 1e-9):,.0f} records/s)")
print(f"  tailed back       {tailed:,} records in {tail_seconds:.2f} s ({tailed / max(tail_seconds, 1e-9):,.0f} records/s)")
print(f"  every line back   {'yes' if ok else 'NO'}")
sys.exit(0 if ok else 1)
