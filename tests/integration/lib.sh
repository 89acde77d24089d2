# Shell helpers for the integration tests (sourced; busybox sh).
# kmod's tools, as users have them: busybox's insmod retries a failed load
# through a second syscall (doubling every refusal), and busybox's shell
# runs its own applets before anything on PATH; functions win over both.
insmod() { /usr/local/sbin/insmod "$@"; }
rmmod() { /usr/local/sbin/rmmod "$@"; }
fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check "what" command...
	what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
done_() {
	if [ "$fails" -eq 0 ]; then echo "PASSED: 0 failure(s)"; exit 0; fi
	echo "FAILED: $fails failure(s)"; exit 1
}
# Kernel log lines since the test started (the runner sets PLUMB_DMESG_MARK).
new_dmesg() { dmesg | tail -n +"$((${PLUMB_DMESG_MARK:-0} + 1))"; }
not() { ! "$@"; }
# limited SECS CMD...: CMD's status; at SECS seconds it gets SIGQUIT (plumb
# prints every vCPU's state: where a hung guest is) and 5 s later SIGKILL.
limited() {
	_secs=$1; shift
	"$@" &
	_pid=$!
	( sleep "$_secs"; kill -QUIT $_pid; sleep 5; kill -KILL $_pid ) \
		> /dev/null 2>&1 < /dev/null &
	_dog=$!
	wait $_pid
	_rc=$?
	kill $_dog 2>/dev/null
	return $_rc
}
module_loaded() { grep -q '^plumb ' /proc/modules; }
# Debian's own KVM (in /kvm of the emulated host), for coexistence tests
# and benchmarks: kvm_amd on the SVM hosts, kvm_intel on the VMX ones.
case "$PLUMB_BACKEND" in
svm) vendor=amd ;;
*)   vendor=intel ;;
esac
load_kvm() { # load_kvm [kvm.ko parameters]
	insmod /kvm/irqbypass.ko || return 1
	if [ $vendor = amd ]; then insmod /kvm/ccp.ko || return 1; fi
	insmod /kvm/kvm.ko "$@" && insmod /kvm/kvm-$vendor.ko
}
unload_kvm() {
	rmmod kvm_$vendor && rmmod kvm && rmmod irqbypass &&
		{ [ $vendor != amd ] || rmmod ccp; }
}
# A guest's console output for the test log, each line marked "guest| ".
# run-host.sh's kernel-log check skips marked lines, so a guest kernel's
# own oops or panic never reads as one of the host's, whatever its words.
guest_log() {
	# awk, flushing each line: a guest console piped in live (run_linux.sh)
	# reaches the host's serial log as it comes.
	awk '{ print "guest| " $0; fflush() }' "$@"
}
# The host bugs plumb's load line must name as open on each emulated host:
# what its CPU reports (/sys/devices/system/cpu/vulnerabilities) under the
# harness's mitigations=off, less what needs nothing at the world switch.
spec_open_want() {
	case "$PLUMB_HOST" in
	qemu-svm*)  echo "spectre_v2" ;;
	bochs-vmx*) echo "spectre_v2 l1tf mds vmscape" ;;
	*)          echo "?" ;;	# not pinned yet: the sysfs check only
	esac
}
# spec_check_line LINE: the "plumb: mitigations: ...; open: ..." line agrees
# with the host's own vulnerability files and with spec_open_want.
spec_check_line() {
	_open=$(echo "$1" | sed -n 's/.*; open: \([^(]*\).*/\1/p' | sed 's/ *$//')
	check "mitigations line: '$1'" test -n "$1"
	if [ "$(spec_open_want)" != "?" ]; then
		check "open bugs '$_open' are this host's ('$(spec_open_want)')" \
			test "$_open" = "$(spec_open_want)"
	fi
	for _f in spectre_v2 l1tf mds tsx_async_abort reg_file_data_sampling \
		tsa vmscape retbleed spec_rstack_overflow; do
		_v=/sys/devices/system/cpu/vulnerabilities/$_f
		[ -r "$_v" ] || continue
		_state=$(cat "$_v")
		case " $_open " in *" $_f "*) _named=1 ;; *) _named=0 ;; esac
		case "$_state" in
		"Not affected"*)
			check "$_f: not affected, not named" test $_named = 0 ;;
		Vulnerable*)
			check "$_f: '$_state', named open" test $_named = 1 ;;
		esac
	done
}
