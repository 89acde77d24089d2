# plumb run: flat binaries in each mode, the statuses for a triple fault
# and a halted guest, Ctrl-C/SIGTERM, help texts.
. ./lib.sh

G=/tests/guests
for m in 16:real 32:32 64:64; do
	bits=${m%%:*} mode=${m#*:}
	out=$(plumb run --flat $G/hello-$bits.bin@0x1000,$mode 2>/tmp/err); rc=$?
	# hello prints, reads unhandled ports (all ones), then halts with IF=0.
	check "--flat hello-$bits.bin@0x1000,$mode says hello (got '$out')" test "$out" = "hello"
	check "  and halts for good: status 10 (rc $rc)" test "$rc" -eq 10
	check "  with one line saying so: $(cat /tmp/err)" grep -q "halted with interrupts disabled" /tmp/err
done
out=$(plumb run --mem 4M --flat $G/hello-64.bin@0x1000,64 2>&1); rc=$?
check "--flat in 64-bit mode with 4M of RAM (rc $rc)" test "$rc" -eq 10

if [ "${PLUMB_HOST#bochs}" = "$PLUMB_HOST" ]; then
	plumb run --flat $G/triple-32.bin@0x1000 > /dev/null 2>/tmp/err; rc=$?
	check "a triple fault: status 6 (rc $rc)" test "$rc" -eq 6
	check "  says so: $(head -n 1 /tmp/err)" grep -q "triple fault" /tmp/err
	# ud2 at the load address faulted: the dump shows where and the mode.
	check "  with the state it died in: $(tail -n 2 /tmp/err | tr '\n' ' ')" \
		sh -c 'grep -q "rip 0x1000 " /tmp/err && grep -q "cr0 0x11 " /tmp/err'
fi

# A guest that never stops ends with SIGTERM or SIGINT: status 12. First
# one idling in HLT with interrupts on (sti; hlt; jmp back), then one in a
# tight loop that only a signal kicking PLUMB_RUN can stop. On Bochs a
# nested guest in a tight loop starves the host (the serial log stops):
# that case runs on the QEMU hosts only until it is understood.
printf '\373\364\353\375' > /tmp/idle.bin
guests="idle.bin@0x1000"
[ "${PLUMB_HOST#bochs}" = "$PLUMB_HOST" ] && guests="$guests loop-64.bin@0x1000,64"
for g in $guests; do
	f=$G/${g%%@*}
	[ -f "$f" ] || f=/tmp/${g%%@*}
	for sig in TERM INT; do
		plumb run --flat "$f@${g#*@}" < /dev/null > /dev/null 2>/tmp/err &
		pid=$!
		sleep 2
		kill -$sig $pid
		wait $pid; rc=$?
		check "SIG$sig ends ${g%%@*}: status 12 (rc $rc)" test "$rc" -eq 12
		check "  and says so: $(cat /tmp/err)" grep -q "stopped by" /tmp/err
	done
done

# SIGQUIT: every vCPU prints its state on stderr and the VM runs on (for
# a guest that hangs). vCPU 0 idles; vCPU 1 was never started.
plumb run --cpus 2 --flat /tmp/idle.bin@0x1000 < /dev/null > /dev/null 2>/tmp/err &
pid=$!
sleep 2
kill -QUIT $pid
sleep 2
kill -TERM $pid
wait $pid; rc=$?
check "SIGQUIT does not stop the VM, SIGTERM then does: status 12 (rc $rc)" test "$rc" -eq 12
check "  vCPU 0 printed where it idles: $(grep -A1 'vCPU 0:' /tmp/err | tr '\r\n' '  ')" \
	grep -Eq "rip 0x100[0-3] " /tmp/err
check "  vCPU 1 printed that it waits for its SIPI" grep -q "vCPU 1: waiting for INIT/SIPI" /tmp/err

# Standard output to a pipe whose reader has gone: the launcher ignores
# SIGPIPE, drops the guest's output and ends with the guest's status (10:
# hello halts), not killed by the signal (141).
{ sleep 1; plumb run --flat $G/hello-32.bin@0x1000 < /dev/null 2>/tmp/err; echo $? > /tmp/rc; } | true
rc=$(cat /tmp/rc)
check "stdout to a pipe nobody reads: status 10, not SIGPIPE's death (rc $rc)" test "$rc" -eq 10

plumb --help | grep -q "run " && ok "plumb --help lists run" || fail "plumb --help lacks run"
plumb run --help > /tmp/help; rc=$?
check "plumb run --help exits 0" test "$rc" -eq 0
for o in --kernel --initrd --append --mem --cpus --flat --verbose "Exit status"; do
	grep -q -- "$o" /tmp/help && ok "run --help documents $o" || fail "run --help lacks $o"
done

# -v: an unhandled port is logged once, never fatal.
plumb run -v --flat $G/hello-32.bin@0x1000 > /dev/null 2>/tmp/err
check "-v logs the unhandled port 0x1234 once" test "$(grep -c 'unhandled port read of 0x1234' /tmp/err)" -eq 1
done_
