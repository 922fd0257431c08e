#!/usr/bin/env bash
# Installs every Debian 12 package krest needs to build and test (and, with --bench, to benchmark).
# Idempotent; uses sudo when not run as root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev zlib1g-dev libzstd-dev openssl
  libspdlog-dev libfmt-dev libcli11-dev
  librdkafka-dev liblmdb-dev catch2
  python3 python3-requests python3-msal curl kcat tmux chromium clang libclang-rt-14-dev faketime
  help2man systemd dpkg-dev procps
  libhdrhistogram-java default-jre-headless
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(wrk nginx-light bc time)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
echo "setup: done"
