#!/usr/bin/env bash
# The Debian packages: `cpack -G DEB` in the build tree makes krest, krest-proxy and krest-dev with
# what each should hold; unpacked into a scratch root, the programs run, the man pages are there
# and say what --help says, and the systemd units pass `systemd-analyze verify` and a hardening
# threshold of `systemd-analyze security`.
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=$1
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

(cd "$build" && cpack -G DEB -B "$dir/debs" > "$dir/cpack.log" 2>&1) || fail "cpack: $(tail -20 "$dir/cpack.log")"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
for p in krest krest-proxy krest-dev; do
  [ -f "$dir/debs/${p}_${version}_amd64.deb" ] || fail "no $p package: $(ls "$dir/debs")"
done
contents() { dpkg-deb -c "$dir/debs/$1_${version}_amd64.deb" | awk '{print $6}'; }
expect() {  # package path...
  local p=$1; shift
  local list; list=$(contents "$p")
  for f in "$@"; do grep -qx "./$f" <<< "$list" || fail "$p lacks $f: $list"; done
}
expect krest usr/bin/krest usr/share/man/man1/krest.1 usr/lib/systemd/system/krest-tail@.service \
  usr/share/doc/krest/examples/krest-local.json
expect krest-proxy usr/bin/krest-proxy usr/share/man/man1/krest-proxy.1 usr/lib/systemd/system/krest-proxy.service \
  usr/share/doc/krest-proxy/examples/proxy-local.json
expect krest-dev usr/include/krest/producer.hpp usr/include/krest/sync.hpp usr/include/krest/version.hpp \
  usr/lib/libkrest_engine.a usr/lib/cmake/krest/krestConfig.cmake usr/lib/pkgconfig/krest.pc
# Each file in one package only, and the programs not in -dev.
[ "$(for p in krest krest-proxy krest-dev; do contents $p; done | grep -v '/$' | sort | uniq -d | wc -l)" = 0 ] ||
  fail "files in two packages"
! contents krest-dev | grep -q 'usr/bin/' || fail "programs in krest-dev"
dpkg-deb -f "$dir/debs/krest-proxy_${version}_amd64.deb" Depends | grep -q 'librdkafka1' || fail "krest-proxy's Depends"
ok "cpack makes krest, krest-proxy and krest-dev with their files, each file in one package"

root=$dir/root
for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
[ "$("$root/usr/bin/krest" --version)" = "krest $version" ] || fail "krest --version: $("$root/usr/bin/krest" --version)"
[ "$("$root/usr/bin/krest-proxy" --version)" = "krest-proxy $version" ] || fail "krest-proxy --version"
grep -q 'tail' "$root/usr/share/man/man1/krest.1" && grep -q 'data\\-dir' "$root/usr/share/man/man1/krest-proxy.1" ||
  fail "the man pages do not hold the programs' help"
ok "unpacked, krest --version and krest-proxy --version run and the man pages hold their help"

# systemd checks the units against the unpacked tree, with the host's own units for what they
# reference (sysinit.target and the like).
units=$root/usr/lib/systemd/system
cp -rn /lib/systemd/system/. "$units/" 2> /dev/null || true
# ...and the program krest-proxy.service reloads with, from procps (a dependency of the package).
dpkg-deb -f "$dir/debs/krest-proxy_${version}_amd64.deb" Depends | grep -q procps || fail "krest-proxy does not depend on procps"
mkdir -p "$root/bin" && cp /bin/kill "$root/bin/kill"
mkdir -p "$root/etc/krest"
echo '{}' > "$root/etc/krest/proxy.json"
echo '{}' > "$root/etc/krest/tail.json"
: > "$root/etc/krest/tail.env"
cp "$units/krest-tail@.service" "$units/krest-tail@events.service"
for unit in krest-proxy.service krest-tail@events.service; do
  out=$(systemd-analyze verify --man=no --root="$root" "$units/$unit" 2>&1) || fail "verify $unit: $out"
  [ -z "$out" ] || fail "verify $unit: $out"
  systemd-analyze security --offline=yes --threshold=30 --root="$root" "$units/$unit" > "$dir/security.txt" 2>&1 ||
    fail "$unit is exposed beyond 3.0: $(tail -3 "$dir/security.txt")"
done
ok "the units pass systemd-analyze verify and security (exposure at most 3.0, 30 on its internal scale)"
echo "$passed passed, 0 failed"
