# Load and unload plumb.ko twice; the load line names the backend and the
# features this emulated host is known to offer.
. ./lib.sh

case "$PLUMB_HOST" in
qemu-svm*)  want_b=SVM; want_f="+npt -nrip-save -decode-assists -flush-by-asid" ;;
bochs-svm*) want_b=SVM; want_f="+npt +nrip-save +flush-by-asid" ;;
bochs-vmx*) want_b=VMX; want_f="+ept +unrestricted-guest +vpid +preemption-timer" ;;
*)          want_b=$(echo "$PLUMB_BACKEND" | tr a-z A-Z); want_f="" ;;
esac

for round in 1 2; do
	check "round $round: insmod" insmod /plumb/plumb.ko
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
	check "round $round: rmmod" rmmod plumb
	check "round $round: module gone" sh -c '! grep -q "^plumb " /proc/modules'
	check "round $round: /dev/plumb gone" test ! -e /dev/plumb
	check "round $round: unload logged" sh -c 'dmesg | tail -n 3 | grep -q "plumb: unloaded"'
done
done_
