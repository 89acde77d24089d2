#!/bin/bash
# pic-loop.sh [ROUNDS]: boots qemu-svm-6.1 ROUNDS times (default 2) with
# tests/integration/loop-pic.cfg (linux_pic and linux_pit, eight each per
# boot) and counts what the freeze of decision 112 needs: failed tests and
# the host interrupts QEMU lost (qemu-watch.sh's notes). 5 to 8 minutes
# a round (measured, other emulators running); not part of make check.
# Results in build/results/pic-loop/<round>/. Exit 0 if no test failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

rounds=${1:-2}
base=build/results/pic-loop
rm -rf "$base"
kver=$(scripts/kernels.sh kver 6.1) || exit 1
make -s user tests-bin && tests/harness/build-module.sh "$kver" &&
	tests/harness/mkinitramfs.sh "$kver" "build/initramfs/$kver.cpio.gz" || exit 1
tests=0
failed=0
lost=0
for ((r = 1; r <= rounds; r++)); do
	out=$base/$r
	PLUMB_RESULTS=$out PLUMB_TESTS_CFG=tests/integration/loop-pic.cfg \
		tests/harness/run-host.sh qemu-svm-6.1 > "$base-$r.out" 2>&1
	grep -E '^(PASS|FAIL|NOTE) ' "$base-$r.out"
	tests=$((tests + $(grep -c '^\(PASS\|FAIL\) qemu-svm-6.1/linux_' "$base-$r.out")))
	failed=$((failed + $(grep -c '^FAIL ' "$base-$r.out")))
	lost=$((lost + $(grep -c '^NOTE .*lost a host interrupt' "$base-$r.out")))
done
echo "pic-loop: $rounds boots, $tests Debian boots, $failed failed, $lost host interrupts lost by QEMU (a key press sent)"
[ "$failed" -eq 0 ]
