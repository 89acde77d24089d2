#!/bin/bash
# make demo: boot plumb's default guest and show its console. Where
# /dev/plumb exists, directly; elsewhere inside an emulated AMD host (QEMU
# TCG -cpu max, Debian's 6.12 kernel from `make deps`) that loads plumb.ko
# and runs `plumb run` on its serial console, which is this terminal.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -e /dev/plumb ]; then
	exec user/plumb run "$@"
fi
series=${PLUMB_DEMO_KERNEL:-6.12}
kver=$(scripts/kernels.sh kver "$series" 2>/dev/null) ||
	{ echo "demo: no Debian $series kernel headers/image: run 'make deps' first" >&2; exit 1; }
kernel=build/kernels/$kver/boot/vmlinuz-$kver
[ -f "$kernel" ] || { echo "demo: $kernel missing: run 'make deps' first" >&2; exit 1; }
command -v qemu-system-x86_64 > /dev/null ||
	{ echo "demo: qemu-system-x86_64 missing: run 'make deps' first" >&2; exit 1; }
tests/harness/build-module.sh "$kver" > /dev/null ||
	{ tail -n 20 "build/kmod/$kver/build.log" >&2; exit 1; }
initrd=build/initramfs/$kver.cpio.gz
tests/harness/mkinitramfs.sh "$kver" "$initrd"
echo "demo: no /dev/plumb on this machine: booting an emulated AMD host"
echo "demo: (QEMU TCG, Debian $kver) that loads plumb.ko and runs 'plumb run'"
echo
# Never this machine's /dev/kvm: TCG is what gives the host SVM.
exec timeout -s KILL 300 qemu-system-x86_64 -accel tcg -cpu max -m 1G \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=1 panic=-1 plumb_demo=1" \
	-display none -nodefaults -no-reboot -serial stdio
