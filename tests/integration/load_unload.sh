# Load and unload plumb.ko twice; the load line names the backend and the
# features this emulated host is known to offer, and the mitigations line
# the host CPU bugs left open (all of them: the harness boots the hosts
# with mitigations=off, which plumb takes as the administrator's consent).
. ./lib.sh

case "$PLUMB_HOST" in
qemu-svm*)  want_b=SVM; want_f="+npt -nrip-save -decode-assists -flush-by-asid" ;;
bochs-svm*) want_b=SVM; want_f="+npt +nrip-save +flush-by-asid" ;;
bochs-vmx*) want_b=VMX; want_f="+ept +unrestricted-guest +vpid +preemption-timer" ;;
*)          want_b=$(echo "$PLUMB_BACKEND" | tr a-z A-Z); want_f="" ;;
esac

# Round 2 accepts open host bugs explicitly (unmitigated=allow).
for round in 1 2; do
	if [ $round = 1 ]; then
		check "round $round: insmod" insmod /plumb/plumb.ko
		accepted="host mitigations=off"
	else
		check "round $round: insmod unmitigated=allow" \
			insmod /plumb/plumb.ko unmitigated=allow
		accepted="unmitigated=allow"
	fi
	check "round $round: module listed" module_loaded
	check "round $round: /dev/plumb is a char device" test -c /dev/plumb
	line=$(new_dmesg | grep "plumb: $want_b backend on" | tail -n 1)
	check "round $round: load line names $want_b: '$line'" test -n "$line"
	for f in $want_f; do
		case "$line" in
		*" $f"*) ok "feature $f" ;;
		*) fail "feature $f missing from the load line" ;;
		esac
	done
	# The speculation mitigations: one line, true to the host's CPU.
	spec=$(new_dmesg | grep "plumb: mitigations:" | tail -n 1)
	spec_check_line "$spec"
	case "$spec" in
	*"(accepted: $accepted)") ok "open bugs accepted by $accepted" ;;
	*) fail "the line does not say they are accepted by $accepted" ;;
	esac
	check "round $round: rmmod" rmmod plumb
	check "round $round: module gone" sh -c '! grep -q "^plumb " /proc/modules'
	check "round $round: /dev/plumb gone" test ! -e /dev/plumb
	check "round $round: unload logged" sh -c 'dmesg | tail -n 3 | grep -q "plumb: unloaded"'
done
done_
