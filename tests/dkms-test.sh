#!/bin/bash
# dkms-test.sh KVER: `dkms add` + `dkms build` of this tree for Debian
# kernel KVER, check the module it produced, then remove it again.
# Needs root (dkms writes /usr/src and /var/lib/dkms).
set -euo pipefail
cd "$(dirname "$0")/.."

kver=$1
[ "$(id -u)" -eq 0 ] || { echo "dkms-test: needs root" >&2; exit 1; }
command -v dkms >/dev/null || { echo "dkms-test: dkms missing (make deps)" >&2; exit 1; }
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
src=/usr/src/plumb-$ver
log=build/results/dkms-$kver.log
mkdir -p build/results

if [ -e "$src" ] && [ ! -e "$src/.plumb-dkms-test" ]; then
	echo "dkms-test: $src exists and is not ours; not touching it" >&2
	exit 1
fi
cleanup() {
	dkms remove "plumb/$ver" --all >> "$log" 2>&1 || true
	rm -rf "$src"
}
trap cleanup EXIT
cleanup
: > "$log"
mkdir -p "$src"
cp -r Kbuild Makefile dkms.conf kmod include scripts packaging "$src/"
touch "$src/.plumb-dkms-test"

ok=1
dkms add "plumb/$ver" >> "$log" 2>&1 || ok=0
[ $ok = 1 ] && { dkms build "plumb/$ver" -k "$kver" >> "$log" 2>&1 || ok=0; }
# Debian's dkms compresses the module for kernels built with compressed ones.
ko=$(ls /var/lib/dkms/plumb/"$ver"/"$kver"/x86_64/module/plumb.ko* 2>/dev/null | head -n 1)
if [ $ok = 1 ] && [ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$kver "; then
	echo "dkms-test: plumb/$ver built for $kver ($(modinfo -F vermagic "$ko"))"
	exit 0
fi
echo "dkms-test: dkms add/build for $kver failed; log $log:" >&2
tail -n 40 "$log" >&2
find /var/lib/dkms/plumb -name make.log -exec tail -n 40 {} \; >&2 2>/dev/null || true
exit 1
