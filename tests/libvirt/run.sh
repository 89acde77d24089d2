#!/bin/bash
# tests/libvirt/run.sh [HOST] (make libvirt-check): libvirt on plumb, issue
# 17 item 4. In one emulated host (default qemu-svm-6.12): the host's
# initramfs, Debian's QEMU (tests/harness/mkqemucpio.sh) and
# Debian's libvirt (mkcpio.sh) appended; the list libvirt.cfg runs
# libvirt_boot.sh: libvirtd and virsh boot Debian's kernel on plumb's KVM
# personality. Not in make check: 31 MB more initramfs and minutes of a
# host (docs/testing.md). Needs Debian's libvirt on this machine:
#   apt-get install --no-install-recommends libvirt-daemon \
#	libvirt-daemon-driver-qemu libvirt-clients
# LIBVIRT_CPIO=gz packs with gzip -1 (bigger, faster to unpack).
set -euo pipefail
cd "$(dirname "$0")/../.."
host=${1:-qemu-svm-6.12}
b=build/libvirt
ext=${LIBVIRT_CPIO:-xz}
command -v libvirtd > /dev/null || [ -x /usr/sbin/libvirtd ] || {
	echo "libvirt-check: no libvirtd here; apt-get install --no-install-recommends libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients" >&2
	exit 2
}
mkdir -p "$b"
series=$(awk -v n="$host" '$1 == n { print $4 }' tests/harness/hosts.cfg)
kver=$(scripts/kernels.sh kver "$series")
make -s user tests-bin
tests/harness/build-module.sh "$kver" > /dev/null
tests/harness/mkinitramfs.sh "$kver" "$b/host-$kver.cpio.gz"
[ -f "$b/qemu.cpio.gz" ] || tests/harness/mkqemucpio.sh "$b/qemu.cpio.gz"
# xz takes a minute or two: only when missing or an input changed.
if [ ! -f "$b/libvirt.cpio.$ext" ] || [ -n "$(find tests/libvirt -newer "$b/libvirt.cpio.$ext")" ]; then
	tests/libvirt/mkcpio.sh "$b/libvirt.cpio.$ext"
fi
cat "$b/host-$kver.cpio.gz" "$b/qemu.cpio.gz" "$b/libvirt.cpio.$ext" > "$b/$kver+libvirt.cpio"
ls -l "$b"/*.cpio*
PLUMB_INITRD=$b/$kver+libvirt.cpio PLUMB_TESTS_CFG=tests/libvirt/libvirt.cfg \
	PLUMB_RESULTS=build/libvirt-check tests/harness/run-host.sh "$host"
