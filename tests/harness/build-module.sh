#!/bin/bash
# build-module.sh KVER [extra kbuild args...]
# Builds plumb.ko for Debian kernel KVER in build/kmod/KVER (a copy of the
# sources, so several kernels can be built side by side). The build log is
# build/kmod/KVER/build.log; exit status is make's.
set -euo pipefail
cd "$(dirname "$0")/../.."

kver=$1
shift
kdir=/usr/src/linux-headers-$kver
[ -d "$kdir" ] || { echo "build-module: no headers for $kver in $kdir (make deps)" >&2; exit 1; }
dst=build/kmod/$kver
rm -rf "$dst"
mkdir -p "$dst"
cp -r Kbuild kmod include "$dst/"
make -C "$kdir" M="$PWD/$dst" "$@" modules > "$dst/build.log" 2>&1
