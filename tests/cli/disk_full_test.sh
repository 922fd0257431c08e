#!/usr/bin/env bash
# A full disk under a load: krest-proxy runs with a 4 MiB file size limit (ulimit -f; a write past
# it fails as one on a full disk would), then, where the machine allows the mount, on a real full
# 6 MiB tmpfs; krest load pushes 12 MB at it. Produce fails cleanly with
# 507, the load reports the refused records in its reject file, nothing acknowledged is lost (after
# a kill -9 and a restart without the limit every acknowledged record is there, none torn), and
# the proxy takes writes again once there is room.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"

restart_with_limit() {  # the proxy again, on the same port, under `ulimit -f $1` (KiB) [data dir $2]
  local port=${url##*:}
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  bash -c "ulimit -f $1; exec \"\$0\" \"\$@\"" "$proxy_bin" --listen "127.0.0.1:$port" --data-dir "${2:-$dir/data}" \
    --authority-file "$dir/authority.json" --auth-allowed-groups g > "$dir/out" 2>> "$dir/err" &
  pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$dir/out" && return 0; sleep 0.1; done
  fail "the proxy did not come back: $(tail -3 "$dir/err")"
}

"$krest" topics create full --partitions 1 2>/dev/null
restart_with_limit 4096
python3 -c 'import sys; [print("r%06d-" % i + "x" * 113) for i in range(100000)]' > big.txt  # 12 MB
rc=0
"$krest" load big.txt -t full --buffer-mb 2 --reject-file rejects.ndjson --json > summary.json 2> load.err || rc=$?
[ $rc = 1 ] && grep -q "stopped: .*507" load.err || fail "load into a full disk exited $rc: $(cat load.err)"
grep -q "507" rejects.ndjson && grep -q "no space left" rejects.ndjson || fail "rejects do not say 507: $(head -2 rejects.ndjson)"
acked=$(python3 -c 'import json; print(json.load(open("summary.json"))["records"])')
rejected=$(wc -l < rejects.ndjson)
# The first 507 stops the reading: what was in flight is rejected, the rest never sent.
[ "$acked" -gt 0 ] && [ $((acked + rejected)) -lt 100000 ] || fail "$acked acknowledged + $rejected rejected"
ok "a full disk: $acked records acknowledged, $rejected refused with 507 into the reject file, the load stopped"

restart_with_limit unlimited
"$krest" tail -t full --from earliest -e -f value > back.txt 2>/dev/null
python3 - "$acked" <<'PY' || fail "what the proxy holds after the full disk is not what it acknowledged"
import json, sys
acked = int(sys.argv[1])
back = [l.rstrip("\n") for l in open("back.txt")]
rejected = {json.loads(l)["input"] for l in open("rejects.ndjson")}
assert len(back) == acked, f"{len(back)} records stored, {acked} acknowledged"
assert len(set(back)) == len(back), "duplicates"
assert not (set(back) & rejected), "a refused record was stored"
assert all(len(v) == 121 for v in back), "a torn record"
PY
ok "after kill -9 and a restart: exactly the $acked acknowledged records, none torn, none refused among them"
"$krest" produce -t full after-the-disk-was-freed > /dev/null 2>&1 || fail "no writes after room came back"
ok "writes are taken again once there is room"

# The same on a real full filesystem, when this machine lets the test mount one (root with
# CAP_SYS_ADMIN, as in CI's container): a 6 MiB tmpfs as the data directory, so writes fail with
# ENOSPC; after the kill -9 the proxy must start again on the still-full disk.
small=$dir/small
mkdir -p "$small"
if mount -t tmpfs -o size=6m krest-disk-full-test "$small" 2> /dev/null; then
  trap 'kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; umount "$small" 2>/dev/null || true; rm -rf "$dir"' EXIT
  for f in "$dir"/data/*; do [ "${f##*/}" = topics ] || cp -r "$f" "$small/"; done  # same certificate and keys
  restart_with_limit unlimited "$small"
  "$krest" topics create tmpfs --partitions 1 2>/dev/null
  rm -f rejects.ndjson
  rc=0
  "$krest" load big.txt -t tmpfs --buffer-mb 2 --reject-file rejects.ndjson --json > summary.json 2> load.err || rc=$?
  [ $rc = 1 ] && grep -q "stopped: .*507" load.err || fail "load into a full tmpfs exited $rc: $(cat load.err)"
  grep -q "no space left" rejects.ndjson || fail "rejects do not say why: $(head -2 rejects.ndjson)"
  acked=$(python3 -c 'import json; print(json.load(open("summary.json"))["records"])')
  restart_with_limit unlimited "$small"  # kill -9, and back on the disk that is still full
  "$krest" tail -t tmpfs --from earliest -e -f value > back.txt 2>/dev/null
  python3 - "$acked" <<'PY' || fail "what the proxy holds after the full tmpfs is not what it acknowledged"
import json, sys
acked = int(sys.argv[1])
back = [l.rstrip("\n") for l in open("back.txt")]
assert len(back) == acked, f"{len(back)} records stored, {acked} acknowledged"
assert len(set(back)) == len(back) and all(len(v) == 121 for v in back), "duplicates or torn records"
PY
  mount -o remount,size=64m "$small"  # the volume grown
  "$krest" produce -t tmpfs after-the-volume-grew > /dev/null 2>&1 || fail "no writes after the tmpfs grew"
  ok "a full 6 MiB tmpfs: $acked acknowledged before ENOSPC gave 507s, all there after kill -9 and a restart on the full disk, writes again once it grew"
else
  echo "note: this machine does not let the test mount a tmpfs (it needs CAP_SYS_ADMIN): only the file size limit ran"
fi
echo "$passed passed, 0 failed"
