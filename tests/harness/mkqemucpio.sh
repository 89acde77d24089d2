#!/bin/bash
# tests/harness/mkqemucpio.sh OUT.cpio.gz: Debian's QEMU as an extra
# initramfs for the emulated hosts, appended to a host's own initramfs: by
# run-host.sh for the hosts whose list has tests that need "qemu"
# (tests/integration/qemu_kvm.sh), by bench/run.sh for the benchmarks.
#  - qemu-system-x86_64 and qemu-system-x86_64-microvm (Debian's KVM-only
#    build of the microvm machine), at the same paths as here, and the
#    shared libraries of both (libslirp among them: -netdev user);
#  - the firmware of a -kernel boot: SeaBIOS and the linuxboot/multiboot
#    option ROMs and kvmvapic for pc, qboot (bios-microvm.bin) for microvm.
#    No iPXE ROMs: NICs are added with romfile= (no network boot).
# Written through a temporary file of its own, so that two hosts may build
# it at once. Prints the compressed size.
set -euo pipefail
out=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
bins=()
for b in qemu-system-x86_64 qemu-system-x86_64-microvm; do
	q=$(command -v $b) || { echo "mkqemucpio: no $b (make deps)" >&2; exit 1; }
	mkdir -p "$root$(dirname "$q")"
	cp "$q" "$root$q"
	bins+=("$q")
done
for q in "${bins[@]}"; do
	ldd "$q" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
mkdir -p "$root/usr/share/qemu" "$root/usr/share/seabios"
cp /usr/share/seabios/bios-256k.bin "$root/usr/share/seabios/"
ln -s ../seabios/bios-256k.bin "$root/usr/share/qemu/bios-256k.bin"
for f in linuxboot_dma.bin linuxboot.bin kvmvapic.bin multiboot_dma.bin qboot.rom; do
	cp -L "/usr/share/qemu/$f" "$root/usr/share/qemu/"
done
ln -s qboot.rom "$root/usr/share/qemu/bios-microvm.bin"
mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$out"
echo "mkqemucpio: $out: $(du -k "$root" | tail -1 | cut -f1) KiB unpacked, $(($(stat -c %s "$out") / 1024)) KiB compressed"
