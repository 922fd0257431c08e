#!/usr/bin/env bash
# The settings tables in the docs are the ones the binaries print: a setting added, renamed or
# re-defaulted without its docs fails here.
set -euo pipefail
proxy_bin=$1 krest_bin=$2 docs=$3
fail() { echo "FAIL: $*"; exit 1; }
table_in() { sed -n '/^| setting (JSON key)/,/^$/p' "$1" | sed '/^$/d'; }
diff <("$krest_bin" --print-connection-settings) <(table_in "$docs/CLI.md") ||
  fail "docs/CLI.md's table differs from krest --print-connection-settings (regenerate it from that)"
diff <("$proxy_bin" --print-config-table) <(table_in "$docs/CONFIGURATION.md") ||
  fail "docs/CONFIGURATION.md's table differs from krest-proxy --print-config-table"
echo "2 passed, 0 failed"
