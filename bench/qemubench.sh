# Inside the emulated host: Debian's QEMU on Debian's KVM and on plumb's
# KVM personality (/dev/plumb-kvm as /dev/kvm), same QEMU command lines,
# same host boot; plumb's own launcher beside them where it can run the
# same guest. Two things: the seconds from the command to the Linux
# guest's marker (run_linux's initramfs), and the exit round trips the
# qbench guest times from the inside (tests/guests/qbench.c, TSC ticks
# per operation). Then the ratios, qemu-plumb/qemu-kvm (lower: plumb is
# faster) and plumb/qemu-kvm. Split irqchip for both QEMU runs: the one
# mode plumb's personality has.
. ./lib.sh

K=/tests/guests/vmlinuz-6.12
I=/tests/guests/boot-initrd
Q=/tests/guests/qbench.elf
APPEND="console=ttyS0 loglevel=4 panic=-1"
runs=3
iters=20000
if [ "${PLUMB_SLOW:-1}" -gt 1 ]; then	# Bochs
	runs=1
	iters=2000
fi
now() { cut -d' ' -f1 /proc/uptime; }
QEMU="qemu-system-x86_64 -accel kvm,kernel-irqchip=split -M pc -nodefaults -display none -serial stdio -no-reboot"
: > /tmp/qemubench.res

# boot DRIVER CMD...: "RESULT DRIVER boot_marker S"
boot() {
	drv=$1; shift
	out=/tmp/boot-$drv.out
	t0=$(now)
	"$@" < /dev/null > $out 2>&1 &
	pid=$!
	tm=
	while kill -0 $pid 2>/dev/null; do
		[ -z "$tm" ] && grep -q 'PLUMB-BOOT-OK' $out && tm=$(now)
		sleep 0.02
	done
	wait $pid
	rc=$?
	[ -z "$tm" ] && grep -q 'PLUMB-BOOT-OK' $out && tm=$(now)
	if [ -z "$tm" ] || [ $rc -ne 0 ]; then
		guest_log $out | tail -n 30
		echo "FAIL: $drv: no marker or status $rc"
		return 1
	fi
	echo "RESULT $drv boot_marker $(echo "$tm $t0" | awk '{printf "%.2f", $1 - $2}')"
}

# exits DRIVER CMD...: the qbench lines as "RESULT DRIVER metric ticks"
exits() {
	drv=$1; shift
	"$@" < /dev/null > /tmp/qb-$drv.out 2>&1
	rc=$?
	if [ $rc -ne 1 ] || ! grep -q '^QBENCH cpuid' /tmp/qb-$drv.out; then
		guest_log /tmp/qb-$drv.out | tail -n 20
		echo "FAIL: $drv: qbench status $rc"
		return 1
	fi
	awk -v d=$drv '$1 == "QBENCH" && $2 != "iters" { print "RESULT", d, $2, $3 }' \
		/tmp/qb-$drv.out | tr -d '\r'
}

qemu_runs() {
	drv=$1
	i=0
	while [ $i -lt $runs ]; do
		boot $drv $QEMU -m 160M -smp 1 -kernel $K -initrd $I \
			-append "$APPEND" >> /tmp/qemubench.res || exit 1
		i=$((i + 1))
	done
	exits $drv $QEMU -m 64M -device isa-debug-exit,iobase=0xf4,iosize=0x4 \
		-kernel $Q -append "qbench iters=$iters" >> /tmp/qemubench.res || exit 1
}

load_kvm || { echo "FAIL: cannot load Debian's kvm_$vendor"; exit 1; }
qemu_runs qemu-kvm
unload_kvm || { echo "FAIL: cannot unload kvm_$vendor"; exit 1; }

insmod /plumb/plumb.ko || { echo "FAIL: insmod plumb"; exit 1; }
ln -sf /dev/plumb-kvm /dev/kvm
qemu_runs qemu-plumb
rm -f /dev/kvm
exits plumb plumb run --kernel $Q --mem 64M --append "qbench iters=$iters" \
	>> /tmp/qemubench.res || exit 1
rmmod plumb || { echo "FAIL: rmmod plumb"; exit 1; }

cat /tmp/qemubench.res
# Medians per driver and metric, then the ratios against QEMU on KVM.
awk '
$1 == "RESULT" { v[$2 " " $3] = v[$2 " " $3] " " $4 }
END {
	for (k in v) { n = split(v[k], a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		med[k] = a[int((n + 1) / 2)] }
	split("boot_marker pio_in mmio_rd cpuid", m, " ")
	for (i = 1; i <= 4; i++) {
		q = med["qemu-kvm " m[i]]
		p = med["qemu-plumb " m[i]]
		if (p && q) printf "RATIO %s qemu-plumb %s qemu-kvm %s qemu-plumb/qemu-kvm %.2f\n", m[i], p, q, p / q
		p = med["plumb " m[i]]
		if (p && q) printf "RATIO %s plumb %s qemu-kvm %s plumb/qemu-kvm %.2f\n", m[i], p, q, p / q
	}
}' /tmp/qemubench.res
echo "PASSED: benchmark ran"
