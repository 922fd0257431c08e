#!/usr/bin/env python3
"""The baseline a user starts from: the HDInsight documentation's Python sample, made into a loop.
One requests.Session (keep-alive; verify= on each call, since REQUESTS_CA_BUNDLE would override
Session.verify), one request at a time: produce POSTs the sample's body of six
records; consume follows NextOffset from the start of partition 0 as the sample does.
Usage: sequential_sample.py produce|consume URL CA TOPIC SECONDS   -> prints "records_per_s=N"."""
import sys
import time

import requests

mode, url, ca, topic, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
session = requests.Session()
headers = {"Content-Type": "application/json"}
# The sample's records: a string, numbers, an object, an array of objects, a nested object.
payload = {"records": [
    {"key": "key1", "value": "**********"},
    {"value": 5, "partition": 0},
    {"value": 3.14},
    {"key": "key2", "value": {"id": 100, "name": "Kafka"}},
    {"value": [{"id": 100, "name": "Kafka"}, {"id": 200, "name": "Rest"}]},
    {"value": {"this key": {"nested": "value"}}},
]}
records = 0
deadline = time.monotonic() + seconds
start = time.monotonic()
offset = 0
while time.monotonic() < deadline:
    if mode == "produce":
        r = session.post(f"{url}/v1/producer/topics/{topic}", json=payload, headers=headers, verify=ca)
        r.raise_for_status()
        records += len(payload["records"])
    else:
        r = session.get(f"{url}/v1/consumer/topics/{topic}/partitions/0/offsets/{offset}?count=10", headers=headers, verify=ca)
        r.raise_for_status()
        got = r.json().get("records", [])
        records += len(got)
        next_offset = int(r.headers.get("NextOffset", offset))
        offset = next_offset if got else 0  # at the end, start over
print(f"records_per_s={records / (time.monotonic() - start):.0f}")
