# On a CPU without VMX/SVM the module refuses to load with one clear line.
. ./lib.sh

out=$(insmod /plumb/plumb.ko 2>&1); rc=$?
check "insmod fails (rc $rc: $out)" test "$rc" -ne 0
check "module not listed" sh -c '! grep -q "^plumb " /proc/modules'
check "no /dev/plumb" test ! -e /dev/plumb
msg=$(new_dmesg | grep 'plumb: refusing to load')
echo "kernel said: $msg"
check "one refusal line" test "$(echo "$msg" | grep -c .)" -eq 1
case "$PLUMB_HOST" in
qemu-nosvm) want="does not report SVM in CPUID" ;;
qemu-novmx) want="does not report VMX in CPUID" ;;
qemu-nonpt) want="SVM lacks mandatory features: npt" ;;
*) want="refusing to load" ;;
esac
case "$msg" in
*"$want"*) ok "it names the reason: $want" ;;
*) fail "the reason ($want) is not named" ;;
esac
done_
