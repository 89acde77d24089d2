#!/bin/bash
# tests/fuzz.sh SEED OPS [HOST...]   (make fuzz SEED=.. OPS=.. [HOST=..])
# One fuzzer campaign per emulated host, one host at a time: t_fuzz
# (/dev/plumb), or with FUZZ_ABI=kvm t_kvmfuzz (/dev/plumb-kvm, the KVM
# personality). The seed, the operation count and FUZZ_OPTS (fuzzer
# options, e.g. "--no sregs") go into a one-line test list appended to the
# host's initramfs, run by the normal harness (tests/harness/run-host.sh:
# the kernel-log check, rmmod). FUZZ_SECS ends the campaign after that
# many seconds if OPS are not done by then (hours-long runs: a large OPS
# and FUZZ_SECS). Default hosts: every host with VT (hosts.cfg backend svm
# or vmx), bochs-vmx-linux left out (the same machine as bochs-vmx). The
# test's time limit follows OPS or FUZZ_SECS (FUZZ_TIMEOUT overrides it,
# in seconds; Bochs doubles it); the emulator's own limit is raised to
# match (PLUMB_HOST_TIMEOUT).
# Results: build/fuzz/results/HOST/ (fuzz.log: the fuzzer's output).
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: tests/fuzz.sh SEED OPS [HOST...]" >&2; exit 2; }
seed=$1
ops=$2
shift 2
hosts=("$@")
if [ ${#hosts[@]} -eq 0 ]; then
	mapfile -t hosts < <(grep -v '^#' tests/harness/hosts.cfg |
		awk 'NF && ($5 == "svm" || $5 == "vmx") && $1 != "bochs-vmx-linux" { print $1 }')
fi
abi=${FUZZ_ABI:-plumb}
case $abi in
plumb)	prog=t_fuzz; flag= ;;
kvm)	prog=t_kvmfuzz; flag=--kvm ;;
*)	echo "fuzz: FUZZ_ABI is plumb or kvm, not $abi" >&2; exit 2 ;;
esac
opts=${FUZZ_OPTS:-}
secs=${FUZZ_SECS:-}
# About 100 ops/s on the slowest host (bochs), 10 minutes at least; with
# FUZZ_SECS, that and 10 minutes for the set-up and the checks after.
if [ -n "$secs" ]; then
	opts="$opts --secs $secs"
	limit=${FUZZ_TIMEOUT:-$(( secs + 600 ))}
else
	limit=${FUZZ_TIMEOUT:-$(( ops / 100 > 600 ? ops / 100 : 600 ))}
fi
make -s user tests-bin || exit 1
mkdir -p build/fuzz
rc=0
for h in "${hosts[@]}"; do
	line=$(grep -v '^#' tests/harness/hosts.cfg | awk -v n="$h" '$1 == n')
	[ -n "$line" ] || { echo "fuzz: unknown host $h" >&2; rc=1; continue; }
	series=$(awk '{ print $4 }' <<<"$line")
	kver=$(scripts/kernels.sh kver "$series") || exit 1
	tests/harness/build-module.sh "$kver" > /dev/null ||
		{ tail -n 30 "build/kmod/$kver/build.log"; exit 1; }
	tests/harness/mkinitramfs.sh "$kver" "build/initramfs/$kver.cpio.gz" || exit 1
	root=build/fuzz/root
	rm -rf "$root"
	mkdir -p "$root/tests"
	printf 'fuzz  svm,vmx  3  %s  module  sh fuzz.sh %s %s %s %s\n' \
		"$limit" "$flag" "$seed" "$ops" "$opts" > "$root/tests/fuzz.cfg"
	cp "$root/tests/fuzz.cfg" build/fuzz/fuzz.cfg
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > build/fuzz/cfg.cpio.gz
	cat "build/initramfs/$kver.cpio.gz" build/fuzz/cfg.cpio.gz > "build/fuzz/$kver+fuzz.cpio.gz"
	echo "== $h: $prog $seed $ops $opts (limit ${limit}s)"
	PLUMB_INITRD=build/fuzz/$kver+fuzz.cpio.gz PLUMB_TESTS_CFG=build/fuzz/fuzz.cfg \
		PLUMB_RESULTS=build/fuzz/results PLUMB_HOST_TIMEOUT=$(( limit * 2 + 600 )) \
		tests/harness/run-host.sh "$h" > "build/fuzz/$h.out" 2>&1 || rc=1
	grep -h -E '^(t_fuzz|t_kvmfuzz|  by class|  ioctls|  RUN|ok|FAIL|FAILED|PASSED)' \
		"build/fuzz/results/$h/fuzz.log" 2>/dev/null
	grep -E "^(PASS|FAIL|SKIP) $h/" "build/fuzz/$h.out"
done
exit $rc
