# Inside the emulated host: Debian's 6.12 kernel and run_linux's initramfs
# booted by plumb and by QEMU with Debian's KVM, same kernel, initramfs,
# command line, memory and vCPUs: seconds from the command to the guest's
# marker (userspace up) and to the VM's end (after its 0.5 s sleep and the
# power-off). Then the ratios plumb/KVM (lower is better).
. ./lib.sh

K=/tests/guests/vmlinuz-6.12
I=/tests/guests/boot-initrd
APPEND="console=ttyS0 loglevel=4 panic=-1"
runs=3
[ "${PLUMB_SLOW:-1}" -gt 1 ] && runs=1		# Bochs
now() { cut -d' ' -f1 /proc/uptime; }

# boot DRIVER CMD...: one boot; prints "RESULT DRIVER boot_marker S" and
# "RESULT DRIVER boot_end S".
boot() {
	drv=$1; shift
	out=/tmp/boot-$drv.out
	: > $out
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
	t1=$(now)
	[ -z "$tm" ] && grep -q 'PLUMB-BOOT-OK' $out && tm=$t1
	if [ -z "$tm" ] || [ $rc -ne 0 ]; then
		tail -n 30 $out
		echo "FAIL: $drv: no marker or status $rc"
		return 1
	fi
	echo "RESULT $drv boot_marker $(echo "$tm $t0" | awk '{printf "%.2f", $1 - $2}') s"
	echo "RESULT $drv boot_end $(echo "$t1 $t0" | awk '{printf "%.2f", $1 - $2}') s"
}

for cpus in 1 2; do
	load_kvm || { echo "FAIL: cannot load Debian's kvm_$vendor"; exit 1; }
	i=0
	while [ $i -lt $runs ]; do
		boot kvm qemu-system-x86_64 -accel kvm -cpu host -M pc -m 160M \
			-smp $cpus -nodefaults -display none -serial stdio -no-reboot \
			-kernel $K -initrd $I -append "$APPEND" | sed "s/boot_/boot${cpus}_/" \
			>> /tmp/bootbench.res || exit 1
		i=$((i + 1))
	done
	unload_kvm || { echo "FAIL: cannot unload kvm_$vendor"; exit 1; }
	insmod /plumb/plumb.ko || { echo "FAIL: insmod plumb"; exit 1; }
	i=0
	while [ $i -lt $runs ]; do
		boot plumb plumb run --kernel $K --initrd $I --mem 160M --cpus $cpus \
			--append "$APPEND" | sed "s/boot_/boot${cpus}_/" >> /tmp/bootbench.res || exit 1
		i=$((i + 1))
	done
	rmmod plumb || { echo "FAIL: rmmod plumb"; exit 1; }
done
cat /tmp/bootbench.res
# The median of the runs per driver and metric, then the ratios.
awk '
$1 == "RESULT" { v[$2 " " $3] = v[$2 " " $3] " " $4 }
END {
	for (k in v) { n = split(v[k], a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		med[k] = a[int((n + 1) / 2)] }
	split("boot1_marker boot1_end boot2_marker boot2_end", m, " ")
	for (i = 1; i <= 4; i++) {
		p = med["plumb " m[i]]; q = med["kvm " m[i]]
		if (p && q) printf "RATIO %s plumb %s s qemu-kvm %s s plumb/kvm %.2f\n", m[i], p, q, p / q
	}
}' /tmp/bootbench.res
echo "PASSED: benchmark ran"
