#!/bin/bash
# run-host.sh NAME [TEST,TEST...]
# Boots the emulated host NAME (tests/harness/hosts.cfg) with the initramfs
# of its kernel, runs the integration tests for its backend inside, and
# judges the result from the serial log:
#   - each test: its exit status, and its own kernel log lines;
#   - the host's kernel log as a whole (<host>/kernel-log);
#   - a test that never reported (hang, panic, timeout) fails.
# Prints "PASS|FAIL <host>/<test>" lines; results in build/results/<host>/.
# Expects build/initramfs/<kver>.cpio.gz (tests/run.sh builds it).
set -uo pipefail
cd "$(dirname "$0")/../.."

name=$1
only=${2:-}
line=$(grep -v '^#' tests/harness/hosts.cfg | awk -v n="$name" '$1 == n')
[ -n "$line" ] || { echo "run-host: unknown host '$name'" >&2; exit 2; }
read -r _ emulator cpu series backend smp _ share options <<<"$line"
share=${share:--}
options=${options:-}
kver=$(scripts/kernels.sh kver "$series") || exit 1
kernel=build/kernels/$kver/boot/vmlinuz-$kver
initrd=${PLUMB_INITRD:-build/initramfs/$kver.cpio.gz}
out=${PLUMB_RESULTS:-build/results}/$name
rm -rf "$out"
mkdir -p "$out"
for f in "$kernel" "$initrd"; do
	[ -f "$f" ] || { echo "run-host: $f missing (make deps; tests/run.sh builds initramfs)" >&2; exit 1; }
done

# Another list than tests.cfg (bench/run.sh), copied into the initramfs.
cfg=${PLUMB_TESTS_CFG:-tests/integration/tests.cfg}

# The tests this host must report, with their needs.
grep -v '^#' "$cfg" | grep -v '^[[:space:]]*$' |
	awk -v b="$backend" -v share="$share" '
	function has(list, x,   n, i, a) { n = split(list, a, ","); for (i = 1; i <= n; i++) if (a[i] == x) return 1; return 0 }
	has($2, b) && (share == "-" || (share ~ /^!/ ? !has($5, substr(share, 2)) : has($5, share))) { print $1, $5 }' |
	awk -v only="$only" 'only == "" || index("," only ",", "," $1 ",")' > "$out/expected-needs"
cut -d' ' -f1 "$out/expected-needs" > "$out/expected"

# Debian's QEMU (tests/harness/mkqemucpio.sh) after the host's initramfs,
# only for a host whose list has a test that needs "qemu": it adds about
# 20 MiB of gzip to the 45 of a 6.12 host (docs/testing.md). The cpio is
# rebuilt when QEMU or the script is newer; both files are replaced
# atomically, so two hosts may do this at once.
if [ -z "${PLUMB_INITRD:-}" ] && awk '{ print "," $2 "," }' "$out/expected-needs" | grep -q ',qemu,'; then
	qcpio=build/initramfs/qemu.cpio.gz
	stale=
	for f in tests/harness/mkqemucpio.sh "$(command -v qemu-system-x86_64)" \
		"$(command -v qemu-system-x86_64-microvm)"; do
		[ "$f" -nt "$qcpio" ] && stale=1
	done
	if [ ! -f "$qcpio" ] || [ -n "$stale" ]; then
		tests/harness/mkqemucpio.sh "$qcpio" || exit 1
	fi
	both=build/initramfs/$kver+qemu.cpio.gz
	tmp=$(mktemp "$both.XXXXXX")
	cat "$initrd" "$qcpio" > "$tmp" && mv "$tmp" "$both" || exit 1
	echo "run-host: $name: tests need QEMU: initramfs $(($(stat -c %s "$initrd") / 1024)) KiB + QEMU $(($(stat -c %s "$qcpio") / 1024)) KiB" | tee "$out/initramfs.txt"
	initrd=$both
fi

# Boot faster (measured in Bochs: crypto self-tests alone take 7 s there).
append="console=ttyS0,115200 panic=-1 quiet loglevel=4 mitigations=off cryptomgr.notests=1 tsc=reliable no_timer_check ptest_host=$name ptest_backend=$backend"
[ -n "$only" ] && append="$append ptest_only=$only"
[ "$share" != - ] && append="$append ptest_share=$share"
[ "${PLUMB_RETRY:-0}" = 1 ] && append="$append ptest_retry=1"
# "kvmref": the same QEMU cases against Debian's own KVM, which check the
# tests rather than plumb; only with PLUMB_KVM_REF=1 (make check-kvm-ref).
refskip=kvmref
[ "${PLUMB_KVM_REF:-0}" = 1 ] && refskip=
# The host's own kernel parameters (hosts.cfg), then experiments' (e.g.
# nokaslr, to map addresses).
append="$append $options ${PLUMB_HOST_APPEND:-}"
[ "$cfg" != tests/integration/tests.cfg ] && append="$append ptest_cfg=$(basename "$cfg")"
serial=$out/serial.log
start=$(date +%s)
case "$emulator" in
qemu)
	# TCG only: this machine's /dev/kvm cannot run these hosts (docs/design.md).
	# Multi-threaded TCG (QEMU's default) unless PLUMB_QEMU_ACCEL says
	# otherwise. With a thread per host CPU a 2-CPU host under a 64-vCPU
	# guest took an interrupt right after #VMEXIT with GIF clear and reset
	# (decision 79); "tcg,thread=single" avoided that, but then the
	# Debian virtio guests hung or oopsed on qemu-svm-6.12 in 3 of 4 runs,
	# so it is for the 64-vCPU experiments only (not in tests.cfg).
	# 1500 s: the Linux matrix (64 vCPUs among it) and the virtio Linux
	# tests took 600 s and more on a busy machine.
	# For debugging (docs/testing.md): PLUMB_QEMU_ACCEL replaces
	# "tcg"; PLUMB_QEMU_ARGS adds arguments, e.g.
	# "-d cpu_reset -D FILE" logs a host triple fault, and "-action
	# shutdown=pause -monitor unix:SOCK,server,nowait" keeps the host at
	# its reset so that "info registers" shows which code faulted.
	# PLUMB_HOST_TIMEOUT replaces the 1500 s (long fuzz campaigns, make soak).
	# QEMU 7.2's TCG can lose a host interrupt (decision 112): a monitor
	# for qemu-watch.sh, which wakes a host left halted by it.
	mon=$out/monitor.sock
	watch=
	if command -v socat > /dev/null; then
		tests/harness/qemu-watch.sh "$mon" "$out" &
		watch=$!
	else
		echo "run-host: no socat, QEMU's lost interrupts are not watched (make deps)" >&2
	fi
	# shellcheck disable=SC2086
	timeout -s KILL "${PLUMB_HOST_TIMEOUT:-1500}" qemu-system-x86_64 -accel "${PLUMB_QEMU_ACCEL:-tcg}" -cpu "$cpu" -smp "$smp" \
		-m 1G -kernel "$kernel" -initrd "$initrd" -append "$append${refskip:+ ptest_skip=$refskip}" \
		-display none -nodefaults -no-reboot -serial "file:$serial" \
		-monitor "unix:$mon,server,nowait" \
		${PLUMB_QEMU_ARGS:-} > "$out/emulator.log" 2>&1
	erc=$?
	[ -n "$watch" ] && { kill "$watch" 2>/dev/null; wait "$watch" 2>/dev/null; }
	rm -f "$mon"
	;;
bochs)
	# Bochs is ~20x slower than QEMU here: the guest's timeouts double.
	# 2400 s: bochs-vmx-linux's Debian guests took ~530 s of Bochs time,
	# over 20 minutes while other emulators shared the cores.
	# PLUMB_HOST_TIMEOUT replaces the 2400 s (make soak's long runs).
	# Bochs' SVM cannot deliver a nested triple fault, its VMX can
	# (docs/decisions.md 19, 45); PLUMB_BOCHS_SKIP overrides, for experiments.
	# "full": the long tail of a matrix (tests.cfg), QEMU hosts only.
	# "irqoff": Linux guests; Bochs' SVM host freezes under them (tests.cfg).
	# PLUMB_FULL=1 (make check-full) runs the "full" tests here too.
	full=full
	[ "${PLUMB_FULL:-0}" = 1 ] && full=
	skip=$full
	[ "$backend" = svm ] && skip=triple,irqoff${full:+,$full}
	skip=${PLUMB_BOCHS_SKIP-$skip}${refskip:+,$refskip}
	tests/harness/boot-bochs.sh --cpu "$cpu" --cpus "$smp" --kernel "$kernel" \
		--initrd "$initrd" --append "$append idle=halt ptest_slow=2 ptest_skip=$skip" \
		--serial "$serial" --timeout "${PLUMB_HOST_TIMEOUT:-2400}" --workdir "$out/bochs" \
		> "$out/emulator.log" 2>&1
	erc=$?
	;;
*)
	echo "run-host: unknown emulator $emulator" >&2
	exit 2
	;;
esac
secs=$(( $(date +%s) - start ))
echo "$name: $emulator -cpu $cpu, kernel $kver, ${secs}s, emulator exit $erc" > "$out/host.txt"

# Split the serial log into per-test output, per-test kernel log, verdicts.
tr -d '\r' < "$serial" 2>/dev/null | awk -v dir="$out" '
/^@@PLUMB-TEST-BEGIN /	{ t = $2; st = "out"; next }
/^@@PLUMB-TEST-DMESG /	{ st = "dmesg"; next }
/^@@PLUMB-TEST-END /	{ sub("rc=", "", $3); sub("secs=", "", $4); print t, $3, $4 > (dir "/verdicts"); st = ""; next }
/^@@PLUMB-DMESG-BEGIN/	{ st = "k"; next }
/^@@PLUMB-DMESG-END/	{ st = ""; next }
/^@@PLUMB-RUN-DONE/	{ print "done" > (dir "/done"); next }
/^@@PLUMB-TEST-SKIP /	{ print $2, $4 > (dir "/skipped"); next }
st == "out"		{ print > (dir "/" t ".log") }
st == "dmesg"		{ print > (dir "/" t ".dmesg") }
st == "k"		{ print > (dir "/dmesg.log") }
'

# What a kernel log must never show, whatever the tests said. A guest's
# console in the tests' output is not the host's: lib.sh's guest_log marks
# its lines "guest| " and the serial log is searched without them
# (decision 117); the final kernel log (dmesg.log) has no such lines.
host_lines() { tr -d '\r' < "$serial" 2>/dev/null | grep -v '^guest| '; cat "$out/dmesg.log" 2>/dev/null; }
BAD='\bBUG\b|Oops|WARNING:|general protection|soft lockup|hung task|blocked for more than|RCU stall|rcu_.*detected stall|refcount_t:|use-after-free|Kernel panic|Call Trace:|double fault|stack-protector|list_(add|del) corruption|kernel BUG'

pass=0
failn=0
# The verdict lines are printed at the end: a run that QEMU's stale int3
# spoiled is run again first (below).
verdict() { # verdict PASS|FAIL test why
	echo "$1 $name/$2${3:+ ($3)}" >> "$out/verdict-lines"
	echo "$1 $2${3:+ ($3)}" >> "$out/summary"
	if [ "$1" = PASS ]; then pass=$((pass + 1)); else failn=$((failn + 1)); fi
}

while read -r t; do
	rc=$(awk -v t="$t" '$1 == t { print $2 }' "$out/verdicts" 2>/dev/null)
	why=$(awk -v t="$t" '$1 == t { print $2 }' "$out/skipped" 2>/dev/null)
	if [ -n "$why" ]; then
		echo "SKIP $name/$t (this emulator cannot: $why)"
		echo "SKIP $t ($why)" >> "$out/summary"
	elif [ -z "$rc" ]; then
		verdict FAIL "$t" "never reported: host hung or crashed, see $serial"
	elif [ -f "$out/$t.dmesg" ] && grep -qE "$BAD" "$out/$t.dmesg"; then
		verdict FAIL "$t" "kernel log: $(grep -m1 -E "$BAD" "$out/$t.dmesg")"
	elif [ "$rc" != 0 ]; then
		verdict FAIL "$t" "exit $rc: $(grep -m1 FAIL "$out/$t.log" 2>/dev/null)"
	else
		verdict PASS "$t" "$(awk -v t="$t" '$1 == t && $3 != "" { print $3 "s" }' "$out/verdicts")"
	fi
done < "$out/expected"

bad=$(host_lines | grep -m1 -E "$BAD")
if [ ! -f "$out/done" ]; then
	verdict FAIL kernel-log "run did not finish (emulator exit $erc after ${secs}s); serial log: $serial"
elif [ -n "$bad" ]; then
	verdict FAIL kernel-log "$bad"
else
	verdict PASS kernel-log
fi

# Failures carry their evidence into the output (CI keeps nothing else).
if [ "$failn" -ne 0 ]; then
	for t in $(awk '$1 == "FAIL" { print $2 }' "$out/summary"); do
		if [ -f "$out/$t.log" ]; then
			echo "----- $name/$t output -----"
			tail -n 60 "$out/$t.log"
			[ -s "$out/$t.dmesg" ] && { echo "----- $name/$t kernel log -----"; tail -n 60 "$out/$t.dmesg"; }
		fi
	done
	echo "----- $name serial log (last 100 lines of $serial) -----"
	tr -d '\r' < "$serial" 2>/dev/null | tail -n 100
	echo "----- end of $name -----"
fi
# Not a verdict on plumb, but never silent: QEMU's own lost interrupts.
[ -f "$out/qemu-notes" ] && sed "s|^|NOTE $name: |" "$out/qemu-notes"

# QEMU's stale int3 (decision 140, tests/harness/stale-int3.sh): when
# every failure of this run is its work, those tests run once more in a
# fresh host, whose verdicts replace theirs. Its evidence stays above and
# in $out.first. Any other failure, or any other kernel-log line of the
# host's or of a failed test's beside the int3 report, and nothing runs
# again.
# redo_list: the failed tests as a comma list, or nothing.
redo_list() {
	local t host_int3='' list=''
	host_lines > "$out/host-lines.txt"
	tests/harness/stale-int3.sh "$out/host-lines.txt" > /dev/null &&
		tests/harness/stale-int3.sh --only "$BAD" "$out/host-lines.txt" && host_int3=1
	for t in $(awk '$1 == "FAIL" { print $2 }' "$out/summary"); do
		tests/harness/stale-int3.sh --only "$BAD" "$out/$t.dmesg" || return
		if [ "$t" = kernel-log ]; then
			[ -n "$host_int3" ] || return
		elif tests/harness/stale-int3.sh "$out/$t.log" "$out/$t.dmesg" > /dev/null; then
			list=$list,$t
		elif [ -n "$host_int3" ] && ! awk -v t="$t" '$1 == t { f = 1 } END { exit !f }' "$out/verdicts" 2> /dev/null; then
			list=$list,$t	# never reported: the host died of it
		else
			return
		fi
	done
	echo "${list#,}"
}
redo=
if [ "$failn" -ne 0 ] && [ "$emulator" = qemu ] && [ "${PLUMB_RETRY:-0}" != 1 ]; then
	redo=$(redo_list)
fi
if [ -n "$redo" ]; then
	echo "NOTE $name: QEMU's stale int3 (decision 140):"
	{ host_lines; cat "$out"/*.log; } 2> /dev/null | tests/harness/stale-int3.sh /dev/stdin | head -n 2 | sed "s|^|NOTE $name:   |"
	echo "NOTE $name: first attempt $pass passed, $failn failed in ${secs}s; again in a fresh host: $redo"
	rm -rf "$out.first"
	mv "$out" "$out.first"
	PLUMB_RETRY=1 tests/harness/run-host.sh "$name" "$redo"
	rc=$?
	grep -v -E "^(PASS|FAIL) $name/(kernel-log|${redo//,/|})( |$)" "$out.first/verdict-lines"
	exit $rc
fi
cat "$out/verdict-lines"
echo "$name: $pass passed, $failn failed in ${secs}s (results: $out)"
[ "$failn" -eq 0 ]
