# The launcher: a clear message without the module, the module's view with it.
. ./lib.sh

out=$(plumb info 2>&1); rc=$?
check "plumb info fails without the module (rc $rc)" test "$rc" -ne 0
case "$out" in
*"is the module loaded?"*) ok "message says what to do: $out" ;;
*) fail "unclear message: $out" ;;
esac

check "insmod" insmod /plumb/plumb.ko
out=$(plumb info 2>&1); rc=$?
echo "$out"
check "plumb info works (rc $rc)" test "$rc" -eq 0
check "api-version 1" sh -c "echo '$out' | grep -qx 'api-version: 1'"
check "backend $PLUMB_BACKEND" sh -c "echo '$out' | grep -qx 'backend: $PLUMB_BACKEND'"
check "readonly-mem 1" sh -c "echo '$out' | grep -qx 'readonly-mem: 1'"
check "tsc-khz listed" sh -c "echo '$out' | grep -q '^tsc-khz: [1-9]'"
check "dirty-log 1" sh -c "echo '$out' | grep -qx 'dirty-log: 1'"
check "xsave listed" sh -c "echo '$out' | grep -q '^xsave: [1-9]'"
n=$(plumb cpuid | wc -l)
check "plumb cpuid lists leaves ($n lines)" test "$n" -gt 5
check "rmmod" rmmod plumb
done_
