#!/bin/bash
# bench/run.sh [HOST...]: the benchmarks (bench/bench.cfg: exits, boot)
# inside the emulated hosts, plumb against Debian's KVM (and QEMU, for the
# boot) in the same host and run. BENCH_ONLY=boot (or exits) picks one.
# Default hosts: qemu-svm-6.12 and bochs-vmx. Prints the RATIO lines.
set -uo pipefail
cd "$(dirname "$0")/.."
hosts=("$@")
[ ${#hosts[@]} -eq 0 ] && hosts=(qemu-svm-6.12 bochs-vmx)
make -s user tests-bin || exit 1
# QEMU for bootbench.sh, appended to each host's initramfs.
qcpio=build/bench/qemu.cpio.gz
[ -f "$qcpio" ] || tests/harness/mkqemucpio.sh "$qcpio" || exit 1
rc=0
for h in "${hosts[@]}"; do
	series=$(awk -v n="$h" '$1 == n { print $4 }' tests/harness/hosts.cfg)
	kver=$(scripts/kernels.sh kver "$series") || exit 1
	tests/harness/build-module.sh "$kver" > /dev/null || exit 1
	tests/harness/mkinitramfs.sh "$kver" "build/initramfs/$kver.cpio.gz" || exit 1
	cat "build/initramfs/$kver.cpio.gz" "$qcpio" > "build/bench/$kver+qemu.cpio.gz"
	PLUMB_INITRD=build/bench/$kver+qemu.cpio.gz PLUMB_TESTS_CFG=bench/bench.cfg \
		PLUMB_RESULTS=build/bench \
		tests/harness/run-host.sh "$h" "${BENCH_ONLY:-}" > "build/bench-$h.out" 2>&1 || rc=1
	echo "== $h ($(cat "build/bench/$h/host.txt" 2>/dev/null))"
	for b in exits boot virtio qemu; do
		[ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$b,"* ]] || continue
		# virtio (bench.cfg): QEMU hosts only.
		[ $b = virtio ] && [[ $h == bochs* ]] && continue
		grep -h '^RESULT\|^RATIO' "build/bench/$h/$b.log" 2>/dev/null || {
			echo "no $b figures: see build/bench/$h/"; rc=1; }
	done
done
exit $rc
