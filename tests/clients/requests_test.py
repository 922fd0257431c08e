#!/usr/bin/env python3
"""The HDInsight documentation's Python sample flow, with Debian's python3-msal and python3-requests, against
krest-proxy and its development authority.

MSAL gets a token by client credentials (as the documentation's sample does against Entra ID), then the
sample creates a topic, polls until it is listed, produces mixed values, reads partition metadata, and
consumes with the NextOffset header until caught up. A token MSAL was never given is refused."""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import msal
import requests

proxy_bin = sys.argv[1]
# MSAL's HTTP session must use the proxy's CA: requests lets these variables override Session.verify.
for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(var, None)

TENANT, CLIENT_ID, SECRET, GROUP = "contoso", "sample-app", "sample-secret-" + os.urandom(8).hex(), "kafka-writers"


def scrypt_hash(secret):
    """The authority file's hash format, made here with Python's own scrypt: an independent check."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=1 << 10, r=8, p=1, dklen=32)
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    return f"scrypt$10$8$1${enc(salt)}${enc(digest)}"


with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "data")
    authority_file = os.path.join(tmp, "authority.json")
    with open(authority_file, "w") as f:
        json.dump({"tenant": TENANT, "applications": [
            {"name": "sample", "client_id": CLIENT_ID, "secret_hash": scrypt_hash(SECRET), "groups": [GROUP]}]}, f)
    proc = subprocess.Popen([proxy_bin, "--listen", "127.0.0.1:0", "--data-dir", data,
                             "--authority-file", authority_file, "--auth-allowed-groups", GROUP],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, line
        base = line.split("listening on ")[1].strip()
        authority = proc.stdout.readline().split("authority at ")[1].strip()
        ca = os.path.join(data, "tls", "cert.pem")

        app = msal.ConfidentialClientApplication(CLIENT_ID, client_credential=SECRET, authority=authority,
                                                 validate_authority=False, verify=ca)
        result = app.acquire_token_for_client(scopes=["https://hib.azurehdinsight.net/.default"])
        assert "access_token" in result, result
        wrong = msal.ConfidentialClientApplication(CLIENT_ID, client_credential="wrong", authority=authority,
                                                   validate_authority=False, verify=ca)
        refused = wrong.acquire_token_for_client(scopes=["https://hib.azurehdinsight.net/.default"])
        assert refused.get("error") == "invalid_client", refused

        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + result["access_token"]

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
        # The same calls without the token, or with a token from elsewhere, are refused.
        r = requests.get(f"{base}/v1/metadata/topics", verify=ca, timeout=10)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer"), r
        r = requests.get(f"{base}/v1/metadata/topics", verify=ca, timeout=10,
                         headers={"Authorization": "Bearer " + result["access_token"][:-4] + "AAAA"})
        assert r.status_code == 401, r
        print("1 passed, 0 failed")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
