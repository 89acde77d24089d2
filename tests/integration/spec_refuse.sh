# unmitigated=: refuse the load while a host CPU bug is left open (refuse),
# accept it (allow), reject anything else. The emulated hosts run with
# mitigations=off, so every bug they have is open (lib.sh spec_open_want).
. ./lib.sh

want=$(spec_open_want)
gone() { ! module_loaded && test ! -e /dev/plumb; }

out=$(insmod /plumb/plumb.ko unmitigated=refuse 2>&1); rc=$?
check "unmitigated=refuse: insmod fails (rc $rc: $out)" test "$rc" -ne 0
check "unmitigated=refuse: nothing left loaded" gone
msg=$(new_dmesg | grep 'plumb: refusing to load')
echo "kernel said: $msg"
check "one refusal line" test "$(echo "$msg" | grep -c .)" -eq 1
case "$msg" in
*"does not mitigate: $want (mitigations:"*) ok "it names the open bugs: $want" ;;
*"does not mitigate: "*) [ "$want" = "?" ] && ok "it names open bugs" ||
	fail "the open bugs ($want) are not named" ;;
*) fail "the open bugs ($want) are not named" ;;
esac
case "$msg" in
*"unmitigated=allow"*) ok "it names the way out" ;;
*) fail "it does not say unmitigated=allow" ;;
esac

mark=$(dmesg | wc -l)
out=$(insmod /plumb/plumb.ko unmitigated=maybe 2>&1); rc=$?
check "unmitigated=maybe: insmod fails (rc $rc: $out)" test "$rc" -ne 0
check "unmitigated=maybe: nothing left loaded" gone
check "unmitigated=maybe: named in the log" \
	sh -c "dmesg | tail -n +$((mark + 1)) | grep -q 'unmitigated=maybe: expected auto, allow or refuse'"

mark=$(dmesg | wc -l)
check "unmitigated=allow: insmod" insmod /plumb/plumb.ko unmitigated=allow
check "unmitigated=allow: module listed" module_loaded
check "parameter readable" \
	test "$(cat /sys/module/plumb/parameters/unmitigated)" = allow
line=$(dmesg | tail -n +$((mark + 1)) | grep 'plumb: mitigations:')
spec_check_line "$line"
check "rmmod" rmmod plumb
check "nothing left loaded" gone
done_
