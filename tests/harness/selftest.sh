#!/bin/bash
# selftest.sh [HOST...]: the harness must fail a broken module. For each
# host (default: the QEMU SVM hosts), boot two deliberately broken builds and
# expect run-host.sh to FAIL them:
#   warn    - WARN_ON(1) in the module's init: the tests pass, the kernel
#             log check must not;
#   noexit  - no module_exit: the module can never be unloaded.
# Prints PASS/FAIL selftest/<variant>-<host>.
set -uo pipefail
cd "$(dirname "$0")/../.."

hosts=("$@")
[ ${#hosts[@]} -gt 0 ] || mapfile -t hosts < <(grep -v '^#' tests/harness/hosts.cfg |
	awk 'NF && $2 == "qemu" && $5 != "none" { print $1 }')
make -s user tests-bin || exit 1

break_warn() { sed -i 's/^\tops = plumb_pick_backend();/\tWARN_ON(1);\n&/' "$1/kmod/main.c"; }
break_noexit() { sed -i '/^module_exit(plumb_exit);/d' "$1/kmod/main.c"; }

rc=0
for variant in warn noexit; do
	for h in "${hosts[@]}"; do
		series=$(awk -v n="$h" '$1 == n { print $4 }' tests/harness/hosts.cfg)
		kver=$(scripts/kernels.sh kver "$series") || exit 1
		dir=build/selftest/$variant-$kver
		if [ ! -f "$dir/plumb.ko" ]; then
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
		fi
		out=$(PLUMB_INITRD=$dir/initramfs.cpio.gz PLUMB_RESULTS=build/selftest/results-$variant \
			tests/harness/run-host.sh "$h" 2>&1)
		hrc=$?
		failed=$(grep -E "^FAIL $h/" <<<"$out" | head -n 3)
		# QEMU's lost interrupts (qemu-watch.sh) are shown here too.
		grep -E "^NOTE $h: " <<<"$out"
		if [ $hrc -ne 0 ] && [ -n "$failed" ]; then
			echo "PASS selftest/$variant-$h (harness failed it as it must:"
			echo "$failed" | sed 's/^/    /'
			echo "  )"
		else
			echo "FAIL selftest/$variant-$h (the harness passed a broken module)"
			rc=1
		fi
	done
done
exit $rc
