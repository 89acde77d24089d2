#!/bin/bash
# tests/harness/mkqemucpio.sh OUT.cpio.gz: Debian's QEMU (the binary, its
# shared libraries and the firmware a -kernel boot of the pc machine needs)
# as an extra initramfs for the emulated hosts, appended to a host's own
# initramfs: by bench/run.sh for bootbench.sh and virtiobench.sh.
set -euo pipefail
out=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
q=$(command -v qemu-system-x86_64)
mkdir -p "$root$(dirname "$q")" "$root/usr/share/qemu" "$root/usr/share/seabios"
cp "$q" "$root$q"
ldd "$q" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cp /usr/share/seabios/bios-256k.bin "$root/usr/share/seabios/"
for f in linuxboot_dma.bin linuxboot.bin kvmvapic.bin multiboot_dma.bin; do
	cp -L "/usr/share/qemu/$f" "$root/usr/share/qemu/"
done
ln -s ../seabios/bios-256k.bin "$root/usr/share/qemu/bios-256k.bin"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
