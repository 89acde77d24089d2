# run_linux.sh SERIES CPUS [pit|pic]
# Debian's kernel SERIES (6.1 or 6.12) boots to userspace under plumb with
# CPUS vCPUs: its /init (tests/guests/bootinit.c) prints the marker, the CPU
# count, the clocksource and clockevent, sleeps on a timer, and powers off
# through ACPI S5; the launcher exits 0. The guest's log must be free of
# the signs of broken interrupts and timers.
#
# With the TSC frequency known and the TSC-deadline timer, Linux never
# programs the PIT. "pit" (one CPU) boots without the APIC timer: the PIT is
# then the tick, through IOAPIC pin 2. "pic" (one CPU) boots with nolapic:
# no APIC use at all, the PIT's IRQ 0 and the UART's IRQ 4 come through
# the 8259s to LINT0 in virtual-wire mode (ExtINT).
. ./lib.sh

series=$1
cpus=$2
mode=${3:-}
K=/tests/guests/vmlinuz-$series
[ -f "$K" ] || { fail "no $K in the initramfs"; done_; }
extra=
# (TSC-deadline must go too: with it and ARAT, Linux sets up no PIT.)
[ "$mode" = pit ] && extra="nolapic_timer lapic=notscdeadline"
[ "$mode" = pic ] && extra=nolapic
limit=$((120 + 8 * cpus))
case "$PLUMB_HOST" in bochs*) limit=500 ;; esac	# under the runner's 600
out=/tmp/linux-$series-$cpus.out
start=$(date +%s)
: > $out
# The guest's console into the test log as it comes: a hang shows where.
( tail -f $out & echo $! > /tmp/linux-tail.pid; wait ) | guest_log &
# At the limit: every vCPU's state into the log (SIGQUIT), then kill.
limited $limit plumb run --kernel "$K" --mem 160M --cpus "$cpus" \
	--initrd /tests/guests/boot-initrd \
	--append "console=ttyS0 loglevel=7 panic=-1 $extra" < /dev/null > $out 2>/tmp/linux.err
rc=$?
took=$(( $(date +%s) - start ))
sleep 1
kill "$(cat /tmp/linux-tail.pid)" 2>/dev/null
wait
cat /tmp/linux.err
echo "plumb run ended with status $rc after ${took}s (limit ${limit}s)"
marker=$(grep -m1 '^PLUMB-BOOT-OK' $out | tr -d '\r')
echo "marker: $marker"
field() { echo "$marker" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
check "the launcher exited 0 (the guest powered off)" test "$rc" -eq 0
check "userspace ran: the marker" test -n "$marker"
check "the guest sees $cpus CPU(s) ($(field cpus))" test "$(field cpus)" = "$cpus"
check "a clocksource that needs a known TSC frequency: tsc or kvm-clock ($(field clocksource))" \
	grep -Eq '^PLUMB-BOOT-OK .*clocksource=(tsc|kvm-clock) ' $out
case $mode in
pit)
	check "the PIT is the tick ($(field clockevent))" test "$(field clockevent)" = pit
	check "its IRQ 0 came through IOAPIC pin 2, edge" \
		grep -Eq '^ +0: +[1-9][0-9]* +IO-APIC +2-edge +timer' $out
	;;
pic)
	check "the PIT is the tick ($(field clockevent))" test "$(field clockevent)" = pit
	check "its IRQ 0 came through the 8259" grep -Eq '^ +0: +[1-9][0-9]* +XT-PIC +timer' $out
	check "the serial port's IRQ 4 through the 8259" grep -Eq '^ +4: +[1-9][0-9]* +XT-PIC +ttyS0' $out
	;;
*)
	check "the local APIC is the clockevent ($(field clockevent))" \
		grep -Eq '^PLUMB-BOOT-OK .*clockevent=lapic' $out
	check "local timer interrupts on CPU 0" grep -Eq '^ *LOC: +[1-9]' $out
	;;
esac
check "a 0.5 s sleep returned (timer interrupts in userspace)" grep -q '^PLUMB-SLEPT ms=' $out
if [ "$mode" != pic ]; then
	check "ACPI found the IOAPIC in the MADT" grep -q 'IOAPIC\[0\]: apic_id 0' $out
	check "the serial port's interrupt (IRQ 4) through the IOAPIC" \
		grep -Eq '^ +4: .*IO-APIC +4-edge +ttyS0' $out
fi
check "no timer fallback (8259 or virtual wire)" \
	not grep -Eiq "timer doesn't work|through the 8259A|Virtual Wire IRQ|ExtINT IRQ" $out
check "no lost interrupts" not grep -qi 'lost interrupt' $out
check "no clocksource watchdog verdict" not grep -Eiq 'clocksource.*unstable' $out
# Linux marks the TSC of a multi-CPU AMD guest without constant_tsc (the
# emulated hosts' CPU model) "unsynchronized" by policy, not by measure.
if grep -q '^PLUMB-CPU constant_tsc=1' $out; then
	check "the TSC stays stable" not grep -qi 'TSC unstable' $out
else
	other_tsc_verdict() { grep -i 'TSC unstable' $out | grep -vq 'TSCs unsynchronized'; }
	check "the TSC is not marked unstable but for lacking constant_tsc" \
		not other_tsc_verdict
fi
check "no APIC errors" not grep -q 'APIC error' $out
check "no spurious-interrupt storm (at most 2 reports)" \
	test "$(grep -v 'SPU:' $out | grep -ci 'spurious')" -le 2
check "no unchecked MSR access" not grep -q 'unchecked MSR access' $out
check "MTRRs as firmware leaves them (not 'disabled by BIOS')" not grep -q 'MTRRs disabled' $out
check "no lockups, panics, oopses or warnings in the guest log" \
	not grep -Eq 'soft lockup|Kernel panic|Oops|WARNING:|BUG:|Call Trace' $out
if [ "$cpus" -gt 1 ]; then
	check "all $cpus CPUs brought up" grep -Eq "smp: Brought up 1 node, $cpus CPUs" $out
fi
done_
