#!/bin/bash
# selftest.sh [HOST...]: the harness must fail a broken module, for the
# reason planted and for no other. For each host (default: the QEMU SVM
# hosts), boot two deliberately broken builds with two tests and expect
# exactly:
#   warn    - WARN_ON(1) in the module's init: devnode fails on the
#             WARNING in its kernel log, and so does the kernel-log check;
#   noexit  - no module_exit: devnode fails because the runner's rmmod
#             fails; the kernel log stays clean.
# The other test, guest_log_words, prints a guest's oops and panic through
# lib.sh's guest_log and passes: in the noexit run the kernel-log check
# must stay PASS with those lines on the serial log (the guest's words are
# not the host's), in the warn run it must still catch the host's WARNING.
# Anything else (a hung host, a test that never reported, another
# failure) is a failure of the self-test, with the run's lines printed.
# On the first host only, with plumb as built, QEMU's stale int3
# (decision 140; tests/integration/selftest.cfg):
#   int3-stale - a guest's oops "int3" whose code dump shows no int3 left:
#             the test fails, and passes in the second host run-host.sh
#             boots for it (a NOTE says so);
#   int3-live  - the same oops with the int3 still in memory: it fails and
#             nothing runs again;
#   int3-atrip - the oops with RIP on the int3's own byte (a handler that
#             saw RIP on the int3: plumb's bug of decision 143): the same.
# Prints PASS/FAIL selftest/<variant>-<host>.
set -uo pipefail
cd "$(dirname "$0")/../.."

hosts=("$@")
[ ${#hosts[@]} -gt 0 ] || mapfile -t hosts < <(grep -v '^#' tests/harness/hosts.cfg |
	awk 'NF && $2 == "qemu" && $5 != "none" { print $1 }')
make -s user tests-bin || exit 1

break_warn() { sed -i 's/^\tops = plumb_pick_backend();/\tWARN_ON(1);\n&/' "$1/kmod/main.c"; }
break_noexit() { sed -i '/^module_exit(plumb_exit);/d' "$1/kmod/main.c"; }

# expected_VARIANT HOST LINES: are the verdict lines exactly the planted ones?
expected_warn() {
	[ "$(wc -l <<<"$2")" -eq 3 ] &&
		grep -qE "^PASS $1/guest_log_words( |$)" <<<"$2" &&
		grep -qE "^FAIL $1/devnode \(kernel log: .*WARNING:" <<<"$2" &&
		grep -qE "^FAIL $1/kernel-log \(.*WARNING:" <<<"$2"
}
expected_noexit() {
	[ "$(wc -l <<<"$2")" -eq 3 ] &&
		grep -qE "^PASS $1/guest_log_words( |$)" <<<"$2" &&
		grep -qE "^FAIL $1/devnode \(exit [0-9]+: FAIL: runner: rmmod plumb failed" <<<"$2" &&
		grep -qxE "PASS $1/kernel-log" <<<"$2"
}

expected_int3_stale() {
	[ "$(wc -l <<<"$2")" -eq 2 ] &&
		grep -qE "^PASS $1/stale_int3_stale( |$)" <<<"$2" &&
		grep -qxE "PASS $1/kernel-log" <<<"$2" &&
		grep -qE "^NOTE $1: first attempt [0-9]+ passed, 1 failed .*: stale_int3_stale$" <<<"$3"
}
expected_int3_atrip() {
	[ "$(wc -l <<<"$2")" -eq 2 ] &&
		grep -qE "^FAIL $1/stale_int3_atrip \(exit 1: FAIL: a second attempt" <<<"$2" &&
		grep -qxE "PASS $1/kernel-log" <<<"$2" &&
		! grep -q "stale int3" <<<"$3"
}
expected_int3_live() {
	[ "$(wc -l <<<"$2")" -eq 2 ] &&
		grep -qE "^FAIL $1/stale_int3_live \(exit 1: FAIL: a second attempt" <<<"$2" &&
		grep -qxE "PASS $1/kernel-log" <<<"$2" &&
		! grep -q "stale int3" <<<"$3"
}

rc=0
# Built for this run too (the list and planted_int3.sh must be current),
# on the first QEMU host: only QEMU hosts run a spoiled test again.
h=
for x in "${hosts[@]}"; do
	[ "$(awk -v n="$x" '$1 == n { print $2 }' tests/harness/hosts.cfg)" = qemu ] && { h=$x; break; }
done
[ -n "$h" ] || { echo "FAIL selftest/int3 (no QEMU host among: ${hosts[*]})"; exit 1; }
kver=$(scripts/kernels.sh kver "$(awk -v n="$h" '$1 == n { print $4 }' tests/harness/hosts.cfg)") || exit 1
[ -f "build/kmod/$kver/plumb.ko" ] || tests/harness/build-module.sh "$kver" || exit 1
mkdir -p build/selftest
tests/harness/mkinitramfs.sh "$kver" "build/selftest/int3-$kver.cpio.gz" || exit 1
for variant in int3-stale int3-live int3-atrip; do
	test=stale_${variant//-/_}
	out=$(PLUMB_INITRD=build/selftest/int3-$kver.cpio.gz PLUMB_TESTS_CFG=tests/integration/selftest.cfg \
		PLUMB_RESULTS=build/selftest/results-$variant \
		tests/harness/run-host.sh "$h" "$test" 2>&1)
	hrc=$?
	lines=$(grep -E "^(PASS|FAIL|SKIP) $h/" <<<"$out")
	if "expected_${variant//-/_}" "$h" "$lines" "$out"; then
		echo "PASS selftest/$variant-$h (run-host exit $hrc:"
	else
		echo "FAIL selftest/$variant-$h (run-host exit $hrc:"
		rc=1
	fi
	grep -E "^(NOTE|PASS|FAIL|SKIP) $h" <<<"$out" | sed 's/^/    /'
	echo "  )"
done
for variant in warn noexit; do
	for h in "${hosts[@]}"; do
		series=$(awk -v n="$h" '$1 == n { print $4 }' tests/harness/hosts.cfg)
		kver=$(scripts/kernels.sh kver "$series") || exit 1
		dir=build/selftest/$variant-$kver
		# Built for this run of each host's series, never reused across
		# runs: an initramfs from an older tree carries an older
		# tests.cfg and launcher (a stale one once failed a new test).
		if [ "$(cat "$dir/.run" 2>/dev/null)" != "$$" ]; then
			rm -rf "$dir"
			mkdir -p "$dir"
			cp -r Kbuild kmod include "$dir/"
			"break_$variant" "$dir"
			if cmp -s kmod/main.c "$dir/kmod/main.c"; then
				echo "FAIL selftest/$variant-$h (could not break main.c: did it change?)"
				rc=1
				continue
			fi
			make -s -C "/usr/src/linux-headers-$kver" M="$PWD/$dir" modules > "$dir/build.log" 2>&1 ||
				{ echo "FAIL selftest/$variant-$h (broken module did not build)"; rc=1; continue; }
			PLUMB_KO=$dir/plumb.ko tests/harness/mkinitramfs.sh "$kver" "$dir/initramfs.cpio.gz" || exit 1
			echo $$ > "$dir/.run"
		fi
		out=$(PLUMB_INITRD=$dir/initramfs.cpio.gz PLUMB_RESULTS=build/selftest/results-$variant \
			tests/harness/run-host.sh "$h" guest_log_words,devnode 2>&1)
		hrc=$?
		# QEMU's lost interrupts (qemu-watch.sh) are shown here too.
		grep -E "^NOTE $h: " <<<"$out"
		lines=$(grep -E "^(PASS|FAIL|SKIP) $h/" <<<"$out")
		if [ $hrc -ne 0 ] && expected_$variant "$h" "$lines"; then
			echo "PASS selftest/$variant-$h (harness failed it for the planted reason:"
			echo "$lines" | sed 's/^/    /'
			echo "  )"
		else
			echo "FAIL selftest/$variant-$h (expected only the planted failure; run-host exit $hrc:"
			echo "$lines" | sed 's/^/    /'
			echo "  )"
			grep -A 200 -E "^----- $h" <<<"$out" | tail -n 120
			rc=1
		fi
	done
done
exit $rc
