# Runs inside the emulated host (busybox sh): every test of tests.cfg that
# matches this host's backend, framed by markers that run-host.sh parses:
#
#   @@PLUMB-TEST-BEGIN name
#   ...output...
#   @@PLUMB-TEST-DMESG name        kernel log lines the test produced
#   @@PLUMB-TEST-END name rc=N
#   ...
#   @@PLUMB-DMESG-BEGIN / @@PLUMB-DMESG-END   the whole kernel log
#   @@PLUMB-RUN-DONE
#
# The host name and backend come from the kernel command line
# (ptest_host=, ptest_backend=, ptest_slow=, ptest_only=, ptest_share=).

# kmod's tools, as users have them: busybox's insmod retries a failed load
# through a second syscall (doubling every refusal), and busybox's shell
# runs its own applets before anything on PATH; functions win over both.
insmod() { /usr/local/sbin/insmod "$@"; }
rmmod() { /usr/local/sbin/rmmod "$@"; }
arg() { tr " " "\n" < /proc/cmdline | sed -n "s/^$1=//p"; }
PLUMB_HOST=$(arg ptest_host)
PLUMB_BACKEND=$(arg ptest_backend)
SLOW=$(arg ptest_slow)
SKIP=$(arg ptest_skip)		# needs this host cannot meet, comma list
ONLY=$(arg ptest_only)
SHARE=$(arg ptest_share)	# TAG: only tests needing TAG; !TAG: all others
CFG=$(arg ptest_cfg)		# another list than tests.cfg (bench/bench.cfg)
RETRY=$(arg ptest_retry)	# 1: run-host.sh's second attempt (decision 140)
NCPUS=$(grep -c ^processor /proc/cpuinfo)
export PLUMB_HOST PLUMB_BACKEND
export PLUMB_SLOW="${SLOW:-1}"
export PLUMB_RETRY="${RETRY:-0}"

# What udev would do with packaging/60-plumb.rules when plumb's nodes
# appear: each node gets the GROUP and MODE of the (uncommented) rule
# whose KERNEL== names it.
apply_udev_rule() {
	rule=/etc/udev/rules.d/60-plumb.rules
	for node in plumb plumb-kvm; do
		[ -e /dev/$node ] || continue
		line=$(grep -v '^[[:space:]]*#' $rule | grep "KERNEL==\"$node\"" | head -n 1)
		g=$(echo "$line" | sed -n 's/.*GROUP="\([^"]*\)".*/\1/p')
		m=$(echo "$line" | sed -n 's/.*MODE="\([^"]*\)".*/\1/p')
		[ -n "$g" ] && chgrp "$g" /dev/$node
		[ -n "$m" ] && chmod "$m" /dev/$node
	done
	return 0
}

# Let the test programs see module loads as udev-managed nodes.
# The load addresses go to the serial log: with them a host crash's RIP
# and stack (PLUMB_QEMU_ARGS in run-host.sh) map to symbols.
insmod_plumb() {
	insmod /plumb/plumb.ko && apply_udev_rule || return 1
	echo "@@PLUMB-MODULE plumb .text=$(cat /sys/module/plumb/sections/.text 2>/dev/null)" \
		".bss=$(cat /sys/module/plumb/sections/.bss 2>/dev/null)" \
		"kernel $(grep -m1 ' _text$' /proc/kallsyms)"
}

echo "@@PLUMB-HOST $PLUMB_HOST backend=$PLUMB_BACKEND kernel=$(uname -r) cpus=$NCPUS"
cd /tests || exit 1
grep -v '^#' "${CFG:-tests.cfg}" | grep -v '^[[:space:]]*$' |
while read -r name hosts vcpus timeout needs command; do
	case ",$hosts," in *",$PLUMB_BACKEND,"*) ;; *) continue ;; esac
	if [ -n "$ONLY" ]; then
		case ",$ONLY," in *",$name,"*) ;; *) continue ;; esac
	fi
	case $SHARE in
	"") ;;
	!*) case ",$needs," in *",${SHARE#!},"*) continue ;; esac ;;
	*) case ",$needs," in *",$SHARE,"*) ;; *) continue ;; esac ;;
	esac
	skip=
	for n in $(echo "$needs" | tr , ' '); do
		case ",$SKIP," in *",$n,"*) skip=$n ;; esac
		# smpN: the host needs N CPUs (hosts.cfg gives some only one).
		case $n in smp*) [ "$NCPUS" -lt "${n#smp}" ] && skip=$n ;; esac
	done
	if [ -n "$skip" ]; then
		echo "@@PLUMB-TEST-SKIP $name needs $skip"
		continue
	fi
	[ -n "$SLOW" ] && timeout=$((timeout * SLOW))
	export PLUMB_TEST_VCPUS=$vcpus
	PLUMB_DMESG_MARK=$(dmesg | wc -l)
	export PLUMB_DMESG_MARK
	echo "@@PLUMB-TEST-BEGIN $name"
	t0=$(cut -d. -f1 /proc/uptime)
	rc=0
	case ",$needs," in *,module,*) mod=1 ;; *) mod= ;; esac
	if [ -n "$mod" ]; then
		if ! insmod_plumb; then
			echo "FAIL: runner: insmod plumb.ko failed"
			rc=90
		fi
	fi
	if [ $rc -eq 0 ]; then
		# shellcheck disable=SC2086
		timeout -s KILL "$timeout" sh -c "$command" < /dev/null 2>&1
		rc=$?
		[ $rc -eq 137 ] && echo "FAIL: runner: killed after ${timeout}s"
	fi
	if [ -n "$mod" ] && grep -q '^plumb ' /proc/modules; then
		if ! rmmod plumb; then
			echo "FAIL: runner: rmmod plumb failed after the test"
			[ $rc -eq 0 ] && rc=91
		fi
	fi
	# A test must leave the module unloaded (leaks keep it pinned).
	if grep -q '^plumb ' /proc/modules; then
		echo "FAIL: runner: plumb still loaded after the test"
		rmmod plumb 2>/dev/null
		[ $rc -eq 0 ] && rc=92
	fi
	echo "@@PLUMB-TEST-DMESG $name"
	dmesg | tail -n +"$((PLUMB_DMESG_MARK + 1))"
	echo "@@PLUMB-TEST-END $name rc=$rc secs=$(($(cut -d. -f1 /proc/uptime) - t0))"
done
echo "@@PLUMB-DMESG-BEGIN"
dmesg
echo "@@PLUMB-DMESG-END"
echo "@@PLUMB-RUN-DONE"
