#!/bin/bash
# qemu-watch.sh SOCK OUT: watches a QEMU host through its monitor SOCK
# until the monitor goes away, for the lost interrupt of QEMU 7.2's TCG
# (docs/testing.md, "qemu-svm-6.1 froze", decision 112): CPU 0 halted with
# IF=1 while its local APIC holds a vector above the processor priority.
# QEMU should leave such a halt within microseconds; seen in two polls in
# a row, nothing will ever wake that CPU. Then the state goes to
# OUT/lost-irq.N, a key press (IRQ 1, through the IOAPIC) makes QEMU look
# at the APIC again, and a line goes to OUT/qemu-notes for run-host.sh.
set -uo pipefail
sock=$1
out=$2
period=${PLUMB_WATCH_PERIOD:-3}

mon() { # mon CMD...: the monitor's answer, without its echo and prompts
	printf '%s\n' "$@" | socat -t 5 - "UNIX-CONNECT:$sock" 2>/dev/null |
		tr -d '\r' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -v '^(qemu)\|^QEMU '
}

# stuck: prints "IRR PPR" if CPU 0 is halted with IF=1 and a deliverable
# vector waits in its IRR (its class above the PPR's); fails otherwise.
stuck() {
	local regs lapic rfl irr ppr
	regs=$(mon "info registers") || return 1
	grep -q 'HLT=1' <<<"$regs" || return 1
	rfl=$(grep -o 'RFL=[0-9a-f]*' <<<"$regs" | head -n 1 | cut -d= -f2)
	[ -n "$rfl" ] && (( 0x$rfl & 0x200 )) || return 1
	lapic=$(mon "info lapic")
	irr=$(awk '$1 == "IRR" { print $NF }' <<<"$lapic")
	ppr=$(grep -o 'PPR 0x[0-9a-f]*' <<<"$lapic" | cut -d' ' -f2)
	[[ "$irr" =~ ^[0-9]+$ ]] && [ -n "$ppr" ] || return 1
	(( (irr & 0xf0) > (ppr & 0xf0) )) || return 1
	echo "$irr $ppr"
}

n=0
last=
kicks=0		# key presses in a row that did not change the state
for _ in $(seq 60); do [ -S "$sock" ] && break; sleep 1; done	# QEMU starting
while [ -S "$sock" ]; do
	sleep "$period"
	now=$(stuck) || { last=; kicks=0; continue; }
	if [ "$now" != "$last" ]; then
		last=$now
		continue
	fi
	if [ "$kicks" -ge 3 ]; then
		# Not the lost interrupt, or not only: let the run fail.
		echo "CPU 0 stays halted with vector ${now% *} pending after 3 key presses: left as it is" >> "$out/qemu-notes"
		break
	fi
	n=$((n + 1))
	kicks=$((kicks + 1))
	{
		echo "CPU 0 halted with IF=1, IRR vector ${now% *} above PPR ${now#* } for ${period}s and more"
		mon "info registers" "info lapic" "info pic"
	} > "$out/lost-irq.$n"
	mon "sendkey shift" > /dev/null
	echo "QEMU lost a host interrupt (vector ${now% *}, CPU 0 halted with IF=1): a key press sent to wake it; state in $out/lost-irq.$n" >> "$out/qemu-notes"
	last=
done
