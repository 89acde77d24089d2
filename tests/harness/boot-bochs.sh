#!/usr/bin/env bash
# boot-bochs.sh - boot a Linux kernel + initramfs inside Bochs, headless,
# and capture the guest's serial console (COM1) into a file.
#
# Usage:
#   boot-bochs.sh --cpu MODEL --kernel VMLINUZ --initrd INITRD \
#                 --append "CMDLINE" --serial OUTFILE --timeout SECONDS \
#                 --workdir DIR [--megs N] [--cpus N]
#
# The caller's CMDLINE should send the console to COM1 at 115200 baud
# (console=ttyS0,115200): Bochs times the UART in guest time, and at the
# default 9600 baud a verbose boot spends tens of seconds printing.
#
# Why it looks like this (see docs/design.md, "Tests: the emulated host"):
#  - Bochs is the only emulator here that offers VT-x (corei7_haswell_4770:
#    EPT, VPID, unrestricted guest) and SVM with NRIP-save/flush-by-ASID
#    (zambezi).  It has no -kernel option, so we build a tiny isolinux ISO
#    (kernel, initrd, isolinux.cfg) with xorriso and boot it from an ATAPI
#    CD-ROM.
#  - Debian's bochs-bin has no 'nogui' display library (it panics with
#    "display library 'nogui' not available"); the only headless-capable one
#    is 'term' (curses), which needs a terminal.  So bochs runs under
#    script(1), which supplies a pty, even when we have no stdin and no tty.
#  - bochs-bin is built with its debugger, so it would stop at a debugger
#    prompt; "-rc CMDS" feeds it "c" (continue) then "quit".
#  - The guest powers off through ACPI (PIIX4 PM of Bochs' i440FX, S5 with
#    SLP_TYP 0).  Bochs reports that as a fatal "ACPI control: soft power off"
#    panic and exits 1; we recognise it in bochs' log and exit 0.
#  - With its debugger compiled in, the 'term' library does not draw on
#    bochs' own terminal (the debugger has it) but on a new pty, announced
#    as "Bochs connected to screen /dev/pts/N".  Nobody reads that pty:
#    once its buffers are full (screen updates, the IPS counter), bochs
#    blocks in write() and the emulated machine stops, at 0% CPU, after
#    minutes to tens of minutes.  A reader drains it (drain_screen below).
#    This was the "bochs-vmx host froze under Linux guests" of session 3.
#  - A hung Bochs ignores SIGTERM, and script(1) puts bochs in its own
#    session, so killing script's process group does not reach it.  The
#    watchdog below walks the process tree and SIGKILLs every process, and
#    bochs additionally runs under "timeout --foreground -s KILL" as a
#    backstop in case this script itself is SIGKILLed.
#  - A kernel panic with panic=-1 ends, in Bochs, in a triple fault while
#    Linux tries to reboot; with reset_on_triple_fault=0 Bochs stops at once
#    (status 1, "3rd (13) exception with no resolution").  Should a guest
#    really reset the machine (keyboard controller, port 0xcf9), Bochs would
#    boot the ISO again forever: we notice the second hardware reset in the
#    log, stop bochs and fail fast instead of waiting for the timeout.
#    Bochs 2.7 never turns a *nested* guest's triple fault into the SHUTDOWN
#    intercept (it panics with 0, resets the whole machine with 1), so the
#    tests that need that skip on Bochs (tests.cfg "needs: triple").
#
# Exit status (and one line on stderr saying which):
#   0    the guest powered off (ACPI S5)
#   124  --timeout expired; bochs was killed
#   1    bochs stopped without a guest power-off (panic, triple fault,
#        guest reboot, failure to start); read DIR/bochs.log and, for
#        errors before the log is opened, DIR/term.out (bochs' terminal)
#   2    bad usage
#   3    missing tool or file, or the ISO could not be built
set -euo pipefail

PROG=boot-bochs
ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX_C32=/usr/lib/syslinux/modules/bios/ldlinux.c32
BIOS=/usr/share/bochs/BIOS-bochs-latest
VGABIOS=/usr/share/bochs/VGABIOS-lgpl-latest
# Emulated instructions per second.  With "clock: sync=none" the guest's
# notion of time is instructions/ips, so this is what guest timers, delays
# and the serial baud rate are measured against.  Bochs really runs about
# 80-100 M instructions/s here, so 100 M keeps guest time close to wall
# time (guest watchdogs and test timeouts stay meaningful).  Measured: 50 M
# and 200 M boot no faster; 1000 M is slower.  Overridable for experiments.
IPS=${BOCHS_IPS:-100000000}
# Instructions a CPU runs before Bochs switches to the next one (SMP only,
# range 1-32).
QUANTUM=${BOCHS_QUANTUM:-16}
# Bochs' clock sync: none = guest time is instructions/ips, fastest and
# deterministic; realtime/slowdown tie the guest clock to the host's.
CLOCK_SYNC=${BOCHS_CLOCK_SYNC:-none}
# Extra seconds the inner backstop timeout waits beyond --timeout.
BACKSTOP_SLACK=30

usage() {
	cat >&2 <<EOF
usage: $0 --cpu MODEL --kernel VMLINUZ --initrd INITRD --append "CMDLINE"
          --serial OUTFILE --timeout SECONDS --workdir DIR [--megs N] [--cpus N]
EOF
	exit 2
}

die() { # die STATUS MESSAGE: the one status line, then exit
	echo "$PROG: $2" >&2
	exit "$1"
}

cpu="" kernel="" initrd="" append="" serial="" timeout_s="" workdir=""
megs=512 cpus=1
append_set=0
while [ $# -gt 0 ]; do
	case "$1" in
	--cpu | --kernel | --initrd | --append | --serial | --timeout | --workdir | --megs | --cpus)
		[ $# -ge 2 ] || usage
		case "$1" in
		--cpu) cpu=$2 ;;
		--kernel) kernel=$2 ;;
		--initrd) initrd=$2 ;;
		--append) append=$2 append_set=1 ;;
		--serial) serial=$2 ;;
		--timeout) timeout_s=$2 ;;
		--workdir) workdir=$2 ;;
		--megs) megs=$2 ;;
		--cpus) cpus=$2 ;;
		esac
		shift 2
		;;
	-h | --help) usage ;;
	*)
		echo "$PROG: unknown argument: $1" >&2
		usage
		;;
	esac
done

if [ -z "$cpu" ] || [ -z "$kernel" ] || [ -z "$initrd" ] || [ "$append_set" != 1 ] ||
	[ -z "$serial" ] || [ -z "$timeout_s" ] || [ -z "$workdir" ]; then
	usage
fi
for n in "$timeout_s" "$megs" "$cpus"; do
	case "$n" in '' | *[!0-9]* | 0*) die 2 "not a positive integer: '$n'" ;; esac
done
case "$cpu" in *[!A-Za-z0-9_]*) die 2 "bad cpu model: $cpu" ;; esac
case "$append" in *$'\n'* | *$'\r'*) die 2 "--append must be one line" ;; esac

for tool in bochs-bin script xorriso timeout pgrep realpath; do
	command -v "$tool" >/dev/null 2>&1 || die 3 "missing tool: $tool"
done
for f in "$ISOLINUX_BIN" "$LDLINUX_C32" "$BIOS" "$VGABIOS" "$kernel" "$initrd"; do
	[ -r "$f" ] || die 3 "cannot read $f"
done

mkdir -p "$workdir" "$(dirname "$serial")"
workdir=$(realpath "$workdir")
serial=$(realpath -m "$serial")
# bochsrc values are comma/space separated and not reliably quotable.
for p in "$workdir" "$serial"; do
	case "$p" in *[,\ \"\'=]* | *$'\t'*) die 2 "path unusable in a bochsrc (comma, blank, quote or '='): $p" ;; esac
done

iso="$workdir/boot.iso"
rc="$workdir/bochsrc"
cmds="$workdir/bochs.cmds"
log="$workdir/bochs.log"
term_out="$workdir/term.out"
pidfile="$workdir/bochs.pid"
rm -f "$iso" "$log" "$term_out" "$pidfile" "$serial"

# --- the ISO: isolinux + kernel + initrd + config --------------------------
stage="$workdir/iso"
rm -rf "$stage"
mkdir -p "$stage/isolinux" "$stage/boot"
cp "$ISOLINUX_BIN" "$LDLINUX_C32" "$stage/isolinux/"
cp "$kernel" "$stage/boot/vmlinuz"
cp "$initrd" "$stage/boot/initrd"
# PROMPT 0 + TIMEOUT 0: boot the default label at once, no menu.
cat >"$stage/isolinux/isolinux.cfg" <<EOF
DEFAULT linux
PROMPT 0
TIMEOUT 0
NOESCAPE 1
LABEL linux
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd
  APPEND $append
EOF
if ! xorriso -as mkisofs -quiet -o "$iso" -R -J \
	-b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table \
	"$stage" >"$workdir/xorriso.log" 2>&1; then
	die 3 "xorriso failed, see $workdir/xorriso.log"
fi
rm -rf "$stage"

# --- bochs configuration ------------------------------------------------------
# quantum= is only accepted by an SMP build; Debian's is one.
# Several CPUs are cores of one package (count=1:N:1), as on the real
# models: with N packages of one core, Linux 6.12 warns about the CPUID
# topology at boot (parse_legacy).
cpu_line="cpu: model=$cpu, count=$cpus, ips=$IPS, reset_on_triple_fault=0, ignore_bad_msrs=1"
if [ "$cpus" -gt 1 ]; then
	cpu_line="cpu: model=$cpu, count=1:$cpus:1, ips=$IPS, reset_on_triple_fault=0, ignore_bad_msrs=1, quantum=$QUANTUM"
fi
cat >"$rc" <<EOF
# generated by $PROG.sh
config_interface: textconfig
display_library: term
# fastboot: skip the BIOS boot-menu delay (3 s of guest time)
romimage: file=$BIOS, options=fastboot
vgaromimage: file=$VGABIOS
megs: $megs
$cpu_line
# i440FX: Bochs' variant includes the PIIX4 ACPI PM (needed for poweroff) and HPET.
pci: enabled=1, chipset=i440fx
# sync=none: guest time = instructions / ips (deterministic, fastest).
clock: sync=$CLOCK_SYNC, time0=local
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
floppy_bootsig_check: disabled=1
com1: enabled=1, mode=file, dev=$serial
mouse: enabled=0
# no PC speaker: it would open ALSA on the host
speaker: enabled=0
log: $log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
EOF
# After "c" returns (SIGINT from dump_cpus below, on a timeout or a stall),
# the debugger goes on with these: every CPU's registers, mode (", vmx
# guest" when it is in VMX non-root operation), code and stack, so a frozen
# host shows where each CPU is.
{
	echo c
	for ((i = 0; i < cpus; i++)); do
		printf 'set $cpu = %d\ninfo cpu\nu /8\nprint-stack 24\n' "$i"
	done
	echo quit
} >"$cmds"

# --- run ----------------------------------------------------------------------
# The command script(1) runs in its pty.  The shell records its pid and
# execs timeout(1), which forks bochs: both stay in the session and process
# group script created for that pid, so "kill -- -PID" reaches them.
backstop=$((timeout_s + BACKSTOP_SLACK))
inner="echo \$\$ >$pidfile; exec timeout --foreground -s KILL $backstop bochs-bin -q -f $rc -rc $cmds"

# All descendants of a pid, deepest first (pgrep -P per level).
descendants() {
	local child
	for child in $(pgrep -P "$1" 2>/dev/null || true); do
		descendants "$child"
		echo "$child"
	done
}

script_pid=""
# Send SIG to the leaves of script's process tree: bochs itself.
signal_leaves() {
	local p
	for p in $(descendants "$script_pid"); do
		if [ -z "$(pgrep -P "$p" 2>/dev/null || true)" ]; then
			kill -"$1" "$p" 2>/dev/null || true
		fi
	done
}

# Stop bochs and everything around it.  First SIGKILL only the leaves of the
# tree (bochs itself), so that its parent reaps it and script(1) exits on its
# own; after a grace period SIGKILL whatever is left, including the session
# script made for the inner command (pid in $pidfile).
kill_all() {
	[ -n "$script_pid" ] || return 0
	local p
	signal_leaves KILL
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$script_pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$script_pid" 2>/dev/null; then
		if [ -s "$pidfile" ]; then
			kill -KILL -- "-$(cat "$pidfile")" 2>/dev/null || true
		fi
		for p in $(descendants "$script_pid") "$script_pid"; do
			kill -KILL "$p" 2>/dev/null || true
		done
	fi
	wait "$script_pid" 2>/dev/null || true
	script_pid=""
}
trap 'kill_all' EXIT
trap 'kill_all; exit 130' INT
trap 'kill_all; exit 143' TERM HUP

start=$(date +%s)
# TERM/SHELL are fixed: CI may have neither, and curses needs a real terminfo.
TERM=xterm SHELL=/bin/sh script -q -e -c "$inner" /dev/null </dev/null >"$term_out" 2>&1 &
script_pid=$!

# Ask bochs' debugger for the CPUs' state (the commands after "c" in
# $cmds), give it a moment to write it to $term_out, and copy it out.
dump_cpus() {
	signal_leaves INT
	sleep 10
	sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$term_out" | tr -d '\r' |
		awk '/^Next at t=|^CPU[0-9]*:|, vmx guest|^(rax|rbx|rcx|rdx|rsp|rbp|rsi|rdi|r[0-9]+|rip|eflags|cr[0-4]|efer|cs|ss):|^ \| STACK|^[0-9a-f]+: |^\([0-9]+\)/' \
		> "$workdir/cpus.txt" 2>/dev/null || true
	echo "$PROG: CPU state at the stop in $workdir/cpus.txt" >&2
}

# Read bochs' screen pty (see the top) until bochs closes it.
drain_screen() {
	local pts="" _i
	for _i in $(seq 1 60); do
		pts=$(sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$term_out" 2>/dev/null |
			grep -a -o 'connected to screen "*/dev/pts/[0-9]*' | grep -o '/dev/pts/[0-9]*' | head -n 1 || true)
		[ -n "$pts" ] && break
		kill -0 "$script_pid" 2>/dev/null || return 0
		sleep 1
	done
	if [ -z "$pts" ]; then
		echo "$PROG: warning: bochs named no screen pty; it may block on it" >&2
		return 0
	fi
	cat "$pts" >/dev/null 2>&1 || true
}
drain_screen &
drain_pid=$!

deadline=$((start + timeout_s))
verdict=""
# BOCHS_STALL=N: stop (after a CPU dump) when the serial log has not grown
# for N seconds: a frozen host, caught long before the timeout.
stall=${BOCHS_STALL:-0}
last_size=-1
last_change=$start
while kill -0 "$script_pid" 2>/dev/null; do
	now=$(date +%s)
	if [ "$now" -ge "$deadline" ]; then
		verdict=timeout
		break
	fi
	if [ "$stall" -gt 0 ]; then
		size=$(stat -c %s "$serial" 2>/dev/null || echo 0)
		if [ "$size" != "$last_size" ]; then
			last_size=$size
			last_change=$now
		elif [ $((now - last_change)) -ge "$stall" ]; then
			verdict=stall
			break
		fi
	fi
	# Bochs logs one hardware reset at power-on; a second one is a guest reboot.
	if [ -f "$log" ] && [ "$(grep -c 'Reset(HARDWARE)' "$log" || true)" -ge 2 ]; then
		verdict=reboot
		break
	fi
	sleep 1
done

status=0
if [ -n "$verdict" ]; then
	[ "$verdict" = reboot ] || dump_cpus
	kill_all
else
	wait "$script_pid" || status=$?
	script_pid=""
fi
pkill -P "$drain_pid" 2>/dev/null || true
kill "$drain_pid" 2>/dev/null || true
trap - EXIT INT TERM HUP
elapsed=$(($(date +%s) - start))

if [ "$verdict" = timeout ]; then
	die 124 "timeout after ${elapsed}s, bochs killed (serial: $serial, log: $log)"
fi
if [ "$verdict" = stall ]; then
	die 124 "no serial output for ${stall}s after ${elapsed}s, bochs killed (serial: $serial, log: $log)"
fi
if [ "$verdict" = reboot ]; then
	die 1 "guest rebooted (kernel panic with panic=-1?) after ${elapsed}s, bochs killed (serial: $serial, log: $log)"
fi
if [ -f "$log" ] && grep -q 'ACPI control: soft power off' "$log"; then
	echo "$PROG: guest powered off after ${elapsed}s (bochs status $status)" >&2
	exit 0
fi
# Why: the last panic in bochs' log, or on its terminal (config errors are
# reported before the log is opened).
why=$(cat "$log" "$term_out" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' |
	grep -a -E '>>PANIC<<' | tail -n 1 || true)
[ "$status" -ne 0 ] || status=1
die 1 "bochs stopped without a guest power-off after ${elapsed}s (status $status)${why:+: $why} (log: $log, terminal: $term_out)"
