#!/bin/bash
# tests/run.sh GROUP...   (all | unit | build | svm | vmx | harness | host NAME [TESTS])
# The test driver behind `make check*`. Every group adds PASS/FAIL lines;
# the last line is "N passed, N failed". Exit 0 only if nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."

RESULTS=build/results
mkdir -p "$RESULTS"
SUMMARY=$RESULTS/summary.txt
: > "$SUMMARY"
JOBS=${PLUMB_TEST_JOBS:-2}

record() { # record PASS|FAIL name [why]
	echo "$1 $2${3:+ ($3)}" | tee -a "$SUMMARY"
}

run_unit() {
	local b out
	make -s tests-bin || { record FAIL unit/build "tests did not build"; return; }
	for b in tests/unit/test_*; do
		[ -x "$b" ] || continue
		[[ "$b" == *.c ]] && continue
		out=$("$b" 2>&1)
		echo "$out"
		# Check: "100%: Checks: N, Failures: F, Errors: E"
		read -r n f e < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' <<<"$out")
		if [ -z "${n:-}" ]; then
			record FAIL "unit/$(basename "$b")" "no Check summary"
			continue
		fi
		for ((i = 0; i < n - f - e; i++)); do echo "PASS unit/$(basename "$b")#$i" >> "$SUMMARY"; done
		for ((i = 0; i < f + e; i++)); do echo "FAIL unit/$(basename "$b")#$i" >> "$SUMMARY"; done
		echo "unit/$(basename "$b"): $((n - f - e)) passed, $((f + e)) failed"
	done
}

# The module on both Debian kernels: W=1 and sparse clean, and DKMS builds.
run_build() {
	local series kver log
	for series in 6.1 6.12; do
		kver=$(scripts/kernels.sh kver "$series") || { record FAIL "build/$series" "no headers"; continue; }
		if tests/harness/build-module.sh "$kver" W=1 C=1; then
			log=build/kmod/$kver/build.log
			if grep -E 'warning:|error:' "$log"; then
				record FAIL "build/w1-sparse-$series" "warnings in $log"
			else
				record PASS "build/w1-sparse-$series"
			fi
		else
			tail -n 30 "build/kmod/$kver/build.log"
			record FAIL "build/w1-sparse-$series" "build failed"
		fi
		if tests/dkms-test.sh "$kver"; then
			record PASS "build/dkms-$series"
		else
			record FAIL "build/dkms-$series"
		fi
	done
	# The module's call graph: no cycle but the accepted ones (decision 129).
	if scripts/kmod-cycles.sh > build/kmod-cycles.txt 2>&1; then
		record PASS build/kmod-cycles
	else
		cat build/kmod-cycles.txt
		record FAIL build/kmod-cycles "see build/kmod-cycles.txt"
	fi
}

# Modules and initramfs for the hosts' kernels, built once, before the
# hosts start in parallel.
prepare_hosts() {
	local series kver
	make -s user tests-bin || return 1
	for series in $(grep -v '^#' tests/harness/hosts.cfg | awk 'NF { print $4 }' | sort -u); do
		kver=$(scripts/kernels.sh kver "$series") || return 1
		tests/harness/build-module.sh "$kver" ||
			{ tail -n 30 "build/kmod/$kver/build.log"; return 1; }
		tests/harness/mkinitramfs.sh "$kver" "build/initramfs/$kver.cpio.gz" || return 1
		[ -f "build/kernels/$kver/boot/vmlinuz-$kver" ] ||
			{ echo "run.sh: kernel image $kver missing: make deps" >&2; return 1; }
	done
}

# run_hosts NAME... : the slow ones (Bochs) first, at most $JOBS at once.
run_hosts() {
	local h pids=() names=() i
	if ! prepare_hosts; then
		record FAIL hosts/prepare "could not build the emulated hosts' files"
		return
	fi
	for h in "$@"; do
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
		echo "== host $h: starting"
		tests/harness/run-host.sh "$h" ${ONLY:+"$ONLY"} > "$RESULTS/$h.out" 2>&1 &
		pids+=($!)
		names+=("$h")
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		echo "== host ${names[$i]}"
		grep -v -E "^(PASS|FAIL|SKIP) ${names[$i]}/" "$RESULTS/${names[$i]}.out"
		grep -E "^(PASS|FAIL|SKIP) ${names[$i]}/" "$RESULTS/${names[$i]}.out" | tee -a "$SUMMARY"
	done
}

# The harness must fail deliberately broken modules (tests/harness/selftest.sh).
run_selftest() {
	tests/harness/selftest.sh | tee "$RESULTS/selftest.out"
	grep -E '^(PASS|FAIL) selftest/' "$RESULTS/selftest.out" >> "$SUMMARY"
}

hosts_of() { # hosts_of GROUP: bochs first (slowest)
	grep -v '^#' tests/harness/hosts.cfg | awk -v g="$1" 'NF && $7 == g { print ($2 == "bochs" ? 0 : 1), $1 }' |
		sort -k1,1n -s | awk '{ print $2 }'
}

start=$(date +%s)
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(all)
case "${groups[0]}" in
all)	run_unit; run_build; mapfile -t hs < <(hosts_of vmx; hosts_of svm)
	# Bochs hosts of both groups first.
	mapfile -t hs < <(printf '%s\n' "${hs[@]}" | while read -r h; do
		grep -v '^#' tests/harness/hosts.cfg | awk -v n="$h" '$1 == n { print ($2 == "bochs" ? 0 : 1), $1 }'
	done | sort -k1,1n -s | awk '{ print $2 }')
	run_hosts "${hs[@]}"
	run_selftest ;;
unit)	run_unit ;;
build)	run_build ;;
svm|vmx) mapfile -t hs < <(hosts_of "${groups[0]}"); run_hosts "${hs[@]}" ;;
host)	ONLY=${groups[2]:-}	# comma list of tests; all when empty
	run_hosts "${groups[1]}" ;;
harness) run_selftest ;;
*)	echo "usage: tests/run.sh [all|unit|build|svm|vmx|harness|host NAME [TEST,TEST...]]" >&2; exit 2 ;;
esac

p=$(grep -c '^PASS ' "$SUMMARY")
f=$(grep -c '^FAIL ' "$SUMMARY")
sk=$(grep -c '^SKIP ' "$SUMMARY")
echo "($(( $(date +%s) - start ))s; per-test results in $RESULTS)"
[ "$f" -eq 0 ] || { echo "failed:"; grep '^FAIL ' "$SUMMARY"; }
if [ "$sk" -gt 0 ]; then
	echo "$p passed, $f failed, $sk skipped"
else
	echo "$p passed, $f failed"
fi
[ "$f" -eq 0 ]
