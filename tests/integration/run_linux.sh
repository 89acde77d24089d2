# run_linux.sh SERIES CPUS
# Debian's kernel SERIES (6.1 or 6.12) boots to userspace under plumb with
# CPUS vCPUs: its /init (tests/guests/bootinit.c) prints the marker, the CPU
# count, the clocksource and clockevent, sleeps on a timer, and powers off
# through ACPI S5; the launcher exits 0. The guest's log must be free of
# the signs of broken interrupts and timers.
. ./lib.sh

series=$1
cpus=$2
K=/tests/guests/vmlinuz-$series
[ -f "$K" ] || { fail "no $K in the initramfs"; done_; }
limit=120
case "$PLUMB_HOST" in bochs*) limit=900 ;; esac
out=/tmp/linux-$series-$cpus.out
start=$(date +%s)
timeout -s KILL $limit plumb run --kernel "$K" --mem 160M --cpus "$cpus" \
	--initrd /tests/guests/boot-initrd \
	--append "console=ttyS0 loglevel=7 panic=-1" < /dev/null > $out 2>/tmp/linux.err
rc=$?
took=$(( $(date +%s) - start ))
guest_log $out
cat /tmp/linux.err
echo "plumb run ended with status $rc after ${took}s (limit ${limit}s)"
marker=$(grep -m1 '^PLUMB-BOOT-OK' $out | tr -d '\r')
echo "marker: $marker"
check "the launcher exited 0 (the guest powered off)" test "$rc" -eq 0
check "userspace ran: the marker" test -n "$marker"
check "the guest sees $cpus CPU(s)" test "${marker#*cpus=}" != "$marker" -a \
	"$(echo "$marker" | sed -n 's/.*cpus=\([0-9]*\).*/\1/p')" = "$cpus"
check "a clocksource: tsc or kvm-clock (the TSC frequency is known)" grep -Eq '^PLUMB-BOOT-OK .*clocksource=(tsc|kvm-clock) ' $out
check "the local APIC is the clockevent" grep -q '^PLUMB-BOOT-OK .*clockevent=lapic' $out
check "a 0.5 s sleep returned (timer interrupts in userspace)" grep -q '^PLUMB-SLEPT ms=' $out
check "ACPI found the IOAPIC in the MADT" grep -q 'IOAPIC\[0\]: apic_id 0' $out
check "the timer (IRQ 0) went through IOAPIC pin 2" grep -Eq '^ +0: .*IO-APIC +2-edge +timer' $out
check "the serial port's interrupt (IRQ 4) through the IOAPIC" \
	grep -Eq '^ +4: .*IO-APIC +4-edge +ttyS0' $out
check "the timer goes through the IOAPIC (no fallback)" \
	not grep -Eiq "timer doesn't work|through the 8259A|Virtual Wire IRQ|ExtINT IRQ" $out
check "no lost interrupts" not grep -qi 'lost interrupt' $out
check "no unstable clocksource or TSC" not grep -Eiq 'clocksource.*unstable|TSC unstable' $out
check "no APIC errors" not grep -q 'APIC error' $out
check "no spurious-interrupt storm (at most 2 reports)" \
	test "$(grep -ci 'spurious' $out)" -le 2
check "no lockups, panics, oopses or warnings in the guest log" \
	not grep -Eq 'soft lockup|Kernel panic|Oops|WARNING:|BUG:|Call Trace' $out
if [ "$cpus" -gt 1 ]; then
	check "all $cpus CPUs brought up (smpboot)" \
		grep -Eq "smp: Brought up 1 node, $cpus CPUs" $out
fi
done_
