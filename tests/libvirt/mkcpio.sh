#!/bin/bash
# mkcpio.sh OUT.cpio.xz: Debian's libvirt (libvirtd, its QEMU connection
# driver, virsh), their libraries, a config for a bare initramfs, QEMU's
# TCG accelerator module (libvirt probes QEMU once with KVM, once with TCG)
# and the test (libvirt_boot.sh, libvirt.cfg, the domain XML in /tests), as
# an extra initramfs for an emulated host. QEMU itself comes from
# tests/harness/mkqemucpio.sh (run.sh appends both).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
ml=/usr/lib/x86_64-linux-gnu
bins=(/usr/sbin/libvirtd /usr/bin/virsh /usr/sbin/dmidecode
      $ml/libvirt/connection-driver/libvirt_driver_qemu.so
      $ml/qemu/accel-tcg-x86_64.so)
for b in "${bins[@]}"; do
	mkdir -p "$root$(dirname "$b")"
	cp "$b" "$root$b"
done
# Libraries QEMU links are in its own cpio (mkqemucpio.sh): not twice.
libs() { ldd "$@" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | sort -u; }
comm -23 <(libs "${bins[@]}") <(libs "$(command -v qemu-system-x86_64)") | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
mkdir -p "$root/usr/share/libvirt" "$root/etc/libvirt/qemu" "$root/var/log/libvirt/qemu" \
	"$root/var/lib/libvirt/qemu" "$root/var/cache/libvirt/qemu" "$root/run/libvirt" "$root/tests"
cp -r /usr/share/libvirt/cpu_map "$root/usr/share/libvirt/"
cp "$here/etc/qemu.conf" "$here/etc/libvirtd.conf" "$root/etc/libvirt/"
cp /etc/libvirt/libvirt.conf "$root/etc/libvirt/"
cp "$here/libvirt_boot.sh" "$here/libvirt.cfg" "$root/tests/"
cp "$here/domain.xml" "$root/tests/libvirt-domain.xml"
mkdir -p "$root/usr/local/bin"
install -m 0755 "$here/qemu-system-x86_64-split" "$root/usr/local/bin/"
mkdir -p "$(dirname "$out")"
# xz (the host kernels have CONFIG_RD_XZ; CRC32 is the check they know):
# 13.5 MB instead of gzip -1's 21.8, mostly ICU's data (libxml2 needs it).
# gzip -1 if OUT ends in .gz (faster to unpack in the emulated host).
case $out in
*.gz) comp="gzip -1" ;;
*)    comp="xz --check=crc32 -6 -T1" ;;
esac
(cd "$root" && find . | cpio -o -H newc --quiet) | $comp > "$out.tmp"
mv "$out.tmp" "$out"
