# Inside the emulated host: virtio-blk and virtio-net throughput, plumb
# against QEMU+KVM (Debian's QEMU and KVM), same Debian 6.12 guest, same
# initramfs (tests/guests/vinit.sh with vt_bench=1), same devices: a raw
# disk in the host's RAM (virtio-blk-pci; QEMU's default cache, plumb's
# page-cache preadv/pwritev) and a tap on a bridge in a network namespace
# (virtio-net-pci, vhost off: both in userspace). The guest writes then
# reads MB MiB with O_DIRECT, sends MB MiB over TCP to the host and
# receives MB MiB from it; MiB/s
# each, median of the runs, then the ratios plumb/KVM (higher is better).
[ -n "$VB_NETNS" ] || exec env VB_NETNS=1 unshare -n sh "$0" "$@"
. ./lib.sh

K=/tests/guests/vmlinuz-6.12
I=/tests/guests/virtio-initrd-6.12
MB=32
runs=3
APPEND="console=ttyS0 loglevel=4 nmi_watchdog=0 panic=-1 vt_bench=1 vt_mb=$MB"
[ -x "$(command -v qemu-system-x86_64)" ] || { echo "FAIL: no QEMU (bench/run.sh adds it)"; exit 1; }

for m in $(cat /netmods/list); do
	grep -q "^$m " /proc/modules || insmod /netmods/$m.ko
done
ip link set lo up
brctl addbr br0
ip addr add 10.0.2.2/24 dev br0
ip link set br0 up
tunctl -t vq0 > /dev/null		# QEMU's; plumb makes its own
brctl addif br0 vq0
ip link set vq0 up

run() { # run DRIVER CMD...
	drv=$1
	shift
	dd if=/dev/zero of=/tmp/vb.img bs=1M count=$((MB + 16)) 2>/dev/null
	sleep 100000 | nc -l -p 5000 > /dev/null &
	head -c $((MB * 1048576)) /dev/zero | nc -l -p 5001 > /dev/null &
	timeout -s KILL 900 "$@" < /dev/null > /tmp/vb-$drv.out 2>&1
	rc=$?
	killall nc sleep 2>/dev/null
	if ! grep -q '^VBENCH net_rx' /tmp/vb-$drv.out || grep -q '^VBENCH FAIL' /tmp/vb-$drv.out; then
		tail -n 30 /tmp/vb-$drv.out
		echo "FAIL: $drv: no figures (status $rc)"
		return 1
	fi
	tr -d '\r' < /tmp/vb-$drv.out | sed -n "s/^VBENCH /RESULT $drv /p" >> /tmp/vb.res
}

: > /tmp/vb.res
load_kvm || { echo "FAIL: cannot load Debian's kvm_$vendor"; exit 1; }
i=0
while [ $i -lt $runs ]; do
	run kvm qemu-system-x86_64 -accel kvm -cpu host -M pc -m 320M -nodefaults \
		-display none -serial stdio -no-reboot -kernel $K -initrd $I \
		-append "$APPEND" \
		-drive file=/tmp/vb.img,if=none,id=d0,format=raw \
		-device virtio-blk-pci,drive=d0 \
		-netdev tap,id=n0,ifname=vq0,script=no,downscript=no,vhost=off \
		-device virtio-net-pci,netdev=n0,romfile= || exit 1
	i=$((i + 1))
done
unload_kvm || { echo "FAIL: cannot unload kvm_$vendor"; exit 1; }
insmod /plumb/plumb.ko || { echo "FAIL: insmod plumb"; exit 1; }
i=0
while [ $i -lt $runs ]; do
	run plumb plumb run --kernel $K --initrd $I --mem 320M --disk /tmp/vb.img \
		--net tap=vp0,bridge=br0 --append "$APPEND" || exit 1
	i=$((i + 1))
done
rmmod plumb || { echo "FAIL: rmmod plumb"; exit 1; }
rm -f /tmp/vb.img
cat /tmp/vb.res
awk '
$1 == "RESULT" { v[$2 " " $3] = v[$2 " " $3] " " $4 }
END {
	for (k in v) { n = split(v[k], a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		med[k] = a[int((n + 1) / 2)] }
	split("blk_write blk_read net_tx net_rx", m, " ")
	for (i = 1; i <= 4; i++) {
		p = med["plumb " m[i]]; q = med["kvm " m[i]]
		if (p && q) printf "RATIO %s plumb %s MiB/s qemu-kvm %s MiB/s plumb/kvm %.2f\n", m[i], p, q, p / q
	}
}' /tmp/vb.res
echo "PASSED: benchmark ran"
