# Inside the emulated host (busybox sh; run by the harness from the list
# tests/kut/run-kut.sh writes): kvm-unit-tests' own run_tests.sh, one
# test at a time, under one driver:
#   plumb     Debian's QEMU, -accel kvm,kernel-irqchip=split, on plumb's
#             KVM personality (/dev/kvm -> /dev/plumb-kvm)
#   kvm       the same QEMU and options on Debian's kvm_amd/kvm_intel
#   launcher  plumb's own launcher as QEMU (plumb-qemu, ACCEL=kvm)
# Usage: sh kut.sh DRIVER TEST:SECS... (SECS: run_tests.sh's TIMEOUT,
# doubled on Bochs). The suite is in /kut, bash and
# coreutils' timeout in /kut/bin (run-kut.sh packs them).
# Prints per test the suite's log (as a guest's: "guest| "), the host
# kernel lines it caused, and one line
#   KUT-RESULT DRIVER TEST PASS|FAIL|SKIP|NONE SECS [the suite's summary]
# Exits non-zero only if the driver could not be set up or torn down:
# the kvm-unit-tests verdicts are figures, not this test's.
. ./lib.sh

drv=$1
shift
slow=${PLUMB_SLOW:-1}

# What udev and systemd would give bash: /dev/fd for process substitution,
# /dev/stderr for run_tests.sh's tee.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr

export PATH=/kut/bin:$PATH
MAX_SMP=$(nproc)	# runtime.bash asks getconf, which is not here
export MAX_SMP
unset TIMEOUT QEMU ACCEL
case $drv in
plumb)
	# The runner loaded plumb.ko (tests.cfg needs "module").
	[ -c /dev/plumb-kvm ] || { echo "FAIL: no /dev/plumb-kvm"; exit 1; }
	[ -e /dev/kvm ] && { echo "FAIL: /dev/kvm exists already"; exit 1; }
	ln -s /dev/plumb-kvm /dev/kvm
	export QEMU=/usr/bin/qemu-system-x86_64 ACCEL=kvm,kernel-irqchip=split
	;;
kvm)
	load_kvm || { echo "FAIL: cannot load Debian's kvm_$vendor"; exit 1; }
	[ -c /dev/kvm ] || { echo "FAIL: kvm_$vendor loaded, no /dev/kvm"; exit 1; }
	export QEMU=/usr/bin/qemu-system-x86_64 ACCEL=kvm,kernel-irqchip=split
	;;
launcher)
	[ -c /dev/plumb ] || { echo "FAIL: no /dev/plumb"; exit 1; }
	ln -sf /usr/local/bin/plumb /tmp/plumb-qemu	# a name with "qemu" in it
	# run_tests.sh wants a character device at /dev/kvm for ACCEL=kvm;
	# plumb-qemu itself opens /dev/plumb and ignores -machine accel=.
	[ -e /dev/kvm ] && { echo "FAIL: /dev/kvm exists already"; exit 1; }
	ln -s /dev/plumb-kvm /dev/kvm
	export QEMU=/tmp/plumb-qemu ACCEL=kvm
	;;
*)
	echo "FAIL: unknown driver $drv"
	exit 2
	;;
esac
echo "kut: driver $drv, QEMU=$QEMU ACCEL=$ACCEL, host $(uname -r), $(nproc) CPUs"
$QEMU --version 2>&1 | head -n 1

mkdir -p /tmp/kut-logs
for spec in "$@"; do
	t=${spec%%:*}
	secs=$((${spec#*:} * slow))
	logdir=/tmp/kut-logs/$drv-$t
	mark=$(dmesg | wc -l)
	echo "kut: $drv $t (TIMEOUT ${secs}s)"
	t0=$(cut -d. -f1 /proc/uptime)
	(cd /kut && TIMEOUT=${secs}s unittest_log_dir=$logdir \
		./run_tests.sh "$t" < /dev/null > /tmp/kut.out 2>&1)
	t1=$(cut -d. -f1 /proc/uptime)
	# run_tests.sh colours its verdict: "\e[32mPASS\e[0m name (summary)".
	line=$(tr -d '\033' < /tmp/kut.out | sed 's/\[[0-9;]*m//g' |
		grep -m1 -E "^(PASS|FAIL|SKIP) $t( |$)")
	v=${line%% *}
	[ -n "$v" ] || v=NONE
	rest=${line#* "$t"}
	[ -f "$logdir/$t.log" ] && guest_log "$logdir/$t.log"
	[ "$v" = NONE ] && guest_log /tmp/kut.out
	dmesg | tail -n +"$((mark + 1))" | sed 's/^/kernel: /'
	echo "KUT-RESULT $drv $t $v $((t1 - t0))${rest:+ $rest}"
done

rc=0
case $drv in
plumb|launcher)
	rm -f /dev/kvm
	;;
kvm)
	unload_kvm || { echo "FAIL: cannot unload kvm_$vendor"; rc=1; }
	;;
esac
exit $rc
