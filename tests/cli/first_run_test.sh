#!/usr/bin/env bash
# The first run in the docs works as written: the README's krest-proxy blocks (a proxy with its
# development authority, curl's token, topic, produce and consume, the krest CLI with
# configs/krest-local.json) and docs/CLI.md's local block, each run as it stands in a scratch
# directory laid out like the repository. Two things are swapped, and only these: port 8443 for a
# free one (tests never take a fixed port), and the `...` placeholder for the secret goes (the
# README's block exported it).
set -euo pipefail
proxy_bin=$1 krest_bin=$2 root=$3
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

dir=$(mktemp -d)
proxy_pid=""
cleanup() {
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir/build/apps" "$dir/configs" "$dir/bin"
ln -s "$proxy_bin" "$dir/build/apps/krest-proxy"
ln -s "$krest_bin" "$dir/build/apps/krest"
ln -s "$krest_bin" "$dir/bin/krest"
sed "s/8443/$port/g" "$root/configs/krest-local.json" > "$dir/configs/krest-local.json"

# The ```sh blocks between <!-- first-run ...--> and <!-- /first-run -->, one file per block.
extract() {  # markdown-file prefix
  awk -v prefix="$2" '
    /^<!-- first-run/ { on = 1; next }
    /^<!-- \/first-run -->/ { on = 0 }
    on && /^```sh$/ { n++; file = prefix n ".sh"; printf "" > file; inside = 1; next }
    on && inside && /^```$/ { inside = 0; close(file); next }
    on && inside { gsub(/8443/, PORT); print >> file }
  ' PORT="$port" "$1"
}
cd "$dir"
extract "$root/README.md" readme
extract "$root/docs/CLI.md" cli
[ -f readme1.sh ] && [ -f readme2.sh ] && [ -f readme3.sh ] && [ -f cli1.sh ] ||
  fail "the first-run blocks are not where this test looks: $(ls)"

# 1. The proxy starts in the background, as the block says.
source readme1.sh
proxy_pid=$!
for _ in $(seq 100); do grep -q 'listening on' krest-proxy.out && break; sleep 0.1; done
grep -q "krest-proxy listening on https://127.0.0.1:$port" krest-proxy.out ||
  fail "README's krest-proxy block: $(cat krest-proxy.out krest-proxy.log)"
ok "README: krest-proxy starts with its development authority"

# 2. curl: a token from the authority, a topic, a record, and the record back.
bash readme2.sh > curl.out 2>&1 || fail "README's curl block failed: $(cat curl.out)"
grep -q '{"offsets":\[{"partition":2,"offset":0}\]}' curl.out || fail "README's produce answer: $(cat curl.out)"
grep -qi '^NextOffset: 1' curl.out && grep -q '"key":"k1"' curl.out ||
  fail "README's consume shows no record: $(cat curl.out)"
ok "README: curl gets a token, creates a topic, produces and reads the record back"

# 3. The krest CLI with the local profile, as the README and docs/CLI.md give it.
bash readme3.sh > cli.out 2>&1 || fail "README's krest block failed: $(cat cli.out)"
grep -qx 'orders' cli.out && grep -q '"key":"k1"' cli.out || fail "README's krest block: $(cat cli.out)"
ok "README: krest topics list and tail with configs/krest-local.json"
# The placeholder goes; the secret is in the environment since the README's first block.
sed -i 's/KREST_CLIENT_SECRET=\.\.\. //' cli1.sh
grep -q "krest topics list --config configs/krest-local.json" cli1.sh || fail "docs/CLI.md's local block: $(cat cli1.sh)"
PATH="$dir/bin:$PATH" bash cli1.sh > cli1.out 2>&1 || fail "docs/CLI.md's local block failed: $(cat cli1.out)"
grep -qx 'orders' cli1.out || fail "docs/CLI.md's local block: $(cat cli1.out)"
ok "docs/CLI.md: krest topics list --config configs/krest-local.json"
echo "$passed passed, 0 failed"
