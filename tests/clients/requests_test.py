#!/usr/bin/env python3
"""The HDInsight documentation's Python sample flow, with Debian's python3-requests, against krest-proxy.

Create a topic (the sample's body), poll until it is listed, produce the sample's mixed values, read
partition metadata, and consume with the NextOffset header until caught up."""
import json
import os
import subprocess
import sys
import tempfile
import time

import requests

proxy_bin = sys.argv[1]
with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "data")
    proc = subprocess.Popen([proxy_bin, "--listen", "127.0.0.1:0", "--data-dir", data],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, line
        base = line.split("listening on ")[1].strip()
        ca = os.path.join(data, "tls", "cert.pem")
        session = requests.Session()
        session.headers["Authorization"] = "Bearer unused-until-auth-lands"

        class Verified:
            """verify= on every call: requests lets REQUESTS_CA_BUNDLE override Session.verify."""
            def __getattr__(self, method):
                return lambda *a, **kw: getattr(session, method)(*a, verify=ca, **kw)
        s = Verified()
        json_headers = {"Content-type": "application/json"}

        topic = "sample-topic"
        body = {"partition_count": 1, "replication_factor": 1,
                "topic_properties": {"retention.ms": 604800000, "min.insync.replicas": "1"}}
        r = s.put(f"{base}/v1/topics/{topic}", data=json.dumps(body), headers=json_headers, timeout=10)
        assert r.status_code == 200, r.text
        for _ in range(50):
            if topic in s.get(f"{base}/v1/metadata/topics", timeout=10).json().get("topics", []):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("topic never listed")

        records = {"records": [
            {"key": "key1", "value": "**********"},
            {"value": 5, "partition": 0},
            {"value": 3.14},
            {"value": {"name": "krest", "ok": True}},
            {"value": [{"id": 1}, {"id": 2}]},
            {"value": {"nested key": {"deeper key": "v"}}},
        ]}
        r = s.post(f"{base}/v1/producer/topics/{topic}", data=json.dumps(records), headers=json_headers, timeout=10)
        assert r.status_code == 200, r.text

        parts = s.get(f"{base}/v1/metadata/topics/{topic}/partitions", timeout=10).json()
        assert parts["partitions"][0]["latest_offset"] == 6, parts

        offset, values = 0, []
        while True:
            r = s.get(f"{base}/v1/consumer/topics/{topic}/partitions/0/offsets/{offset}?count=2",
                      headers=json_headers, timeout=10)
            assert r.status_code == 200, r.text
            got = r.json().get("records", [])
            next_offset = int(r.headers.get("NextOffset"))
            if not got:
                assert next_offset == offset
                break
            values += [m["value"] for m in got]
            offset = next_offset
        assert values[0] == "**********", values
        assert values[1] == "5" and values[2] == "3.14", values
        assert json.loads(values[3]) == {"name": "krest", "ok": True}, values
        assert json.loads(values[5]) == {"nested key": {"deeper key": "v"}}, values
        print("1 passed, 0 failed")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
