#!/bin/sh
# /init of the initramfs a Debian kernel boots under plumb for the virtio
# tests (tests/integration/run_linux_virtio.sh). It loads the virtio
# modules, then, each step reported on a PLUMB-VT line:
#  - writes a line on hvc0 (virtio-console);
#  - mounts the ext4 disk /dev/vda, checks the host's /host.txt (vt_md5= on
#    the command line), writes 1 MiB read from /dev/hwrng to /guest.bin and
#    reports its md5 for the host to compare (in the background: one
#    virtio-rng request per 512 bytes is slow in an emulated host);
#  - with vt_net=1, meanwhile: eth0 at 10.0.2.15, pings 10.0.2.2 (the
#    emulated host, on the tap's bridge), sends 64 x the same random MiB to
#    its port 5000 and reports the md5 of the stream;
#  - with vt_fetch=URL (QEMU's user-mode network, qemu_kvm.sh): eth0 at
#    10.0.2.15 behind QEMU's gateway 10.0.2.2, fetches URL with wget and
#    reports its size and md5;
# and powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
up() { cut -d' ' -f1 /proc/uptime; }
ok() { echo "PLUMB-VT ok: $* (at $(up) s)"; }
bad() { echo "PLUMB-VT FAIL: $* (at $(up) s)"; }
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | head -1; }

echo "PLUMB-VT start $(uname -r)"
for m in $(cat /modules.list); do
	p=
	[ "$m" = virtio_mmio ] && p=$(tr ' ' '\n' < /proc/cmdline |
		sed -n 's/^virtio_mmio\.device=/device=/p')
	# shellcheck disable=SC2086
	insmod /lib/modules/$m.ko $p || bad "insmod $m"
done
sleep 1

# bench/virtiobench.sh: the same device work, timed, for plumb and QEMU+KVM.
if [ "$(arg vt_bench)" = 1 ]; then
	mb=$(arg vt_mb)
	t0=$(up)
	dd if=/dev/zero of=/dev/vda bs=1M count="$mb" oflag=direct 2>/dev/null
	t1=$(up)
	dd if=/dev/vda of=/dev/null bs=1M count="$mb" iflag=direct 2>/dev/null
	t2=$(up)
	ip link set lo up
	ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
	ping -c 1 -W 20 10.0.2.2 > /dev/null 2>&1
	t3=$(up)
	head -c $((mb * 1048576)) /dev/zero | nc 10.0.2.2 5000
	t4=$(up)
	# Receive: the host's port 5001 sends mb MiB and closes. Busybox's nc
	# quits at EOF on either side, so its stdin stays open (sleep), and
	# the count appears when the stream ended (ash's wait would wait for
	# the sleep too).
	: > /tmp/rx.n
	sleep 3600 | nc 10.0.2.2 5001 | wc -c > /tmp/rx.n &
	while [ ! -s /tmp/rx.n ]; do usleep 10000; done
	t5=$(up)
	killall sleep 2>/dev/null
	got=$(cat /tmp/rx.n)
	[ "$got" = $((mb * 1048576)) ] || echo "VBENCH FAIL: net_rx got $got bytes"
	echo "$t0 $t1 $t2 $t3 $t4 $t5" | awk -v mb="$mb" '{
		printf "VBENCH blk_write %.2f MiB/s\n", mb / ($2 - $1)
		printf "VBENCH blk_read %.2f MiB/s\n", mb / ($3 - $2)
		printf "VBENCH net_tx %.2f MiB/s\n", mb / ($5 - $4)
		printf "VBENCH net_rx %.2f MiB/s\n", mb / ($6 - $5) }'
	sleep 1
	poweroff -f
fi

# virtio-console: hvc0's output goes where the launcher's COM1 goes.
if [ -c /dev/hvc0 ]; then echo "PLUMB-VT hvc0 says hello" > /dev/hvc0; else bad "no /dev/hvc0"; fi

mounted=0
if [ -b /dev/vda ]; then ok "/dev/vda"; else bad "no /dev/vda"; fi
if mount -t ext4 /dev/vda /mnt; then
	mounted=1
	ok "ext4 mounted"
	got=$(md5sum /mnt/host.txt | cut -d' ' -f1)
	if [ "$got" = "$(arg vt_md5)" ]; then ok "host.txt md5 $got"; else bad "host.txt md5 $got"; fi
	echo "PLUMB-VT rng $(cat /sys/class/misc/hw_random/rng_current 2>&1) (at $(up) s)"
	dd if=/dev/hwrng of=/mnt/guest.bin bs=4096 count=256 2>/dev/null &
else
	bad "mount /dev/vda"
fi

if [ "$(arg vt_net)" = 1 ]; then
	ip link set lo up
	ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ok "eth0 up"
	if ping -c 3 -W 10 10.0.2.2 > /tmp/ping 2>&1; then ok "ping"; else bad "ping"; cat /tmp/ping; fi
	head -c 1048576 /dev/urandom > /tmp/r
	echo "PLUMB-VT net-chunk $(md5sum /tmp/r | cut -d' ' -f1)"
	sum=$(i=0; while [ $i -lt 64 ]; do cat /tmp/r; i=$((i + 1)); done | md5sum | cut -d' ' -f1)
	start=$(up)
	i=0
	while [ $i -lt 64 ]; do cat /tmp/r; i=$((i + 1)); done | nc 10.0.2.2 5000
	echo "PLUMB-VT net-sent 64MiB md5 $sum in $(up) - $start s"
	sleep 2		# what the socket still holds goes out before power-off
fi

url=$(arg vt_fetch)
if [ -n "$url" ]; then
	ip link set lo up
	ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 &&
		ip route add default via 10.0.2.2 && ok "eth0 up"
	# (timeout, not wget -T: Debian 12 busybox's wget segfaults with -T)
	if timeout 60 wget -q -O /tmp/fetched "$url" 2> /tmp/wget.err; then
		echo "PLUMB-VT fetched $(wc -c < /tmp/fetched) $(md5sum /tmp/fetched | cut -d' ' -f1) (at $(up) s)"
	else
		bad "wget $url: $(cat /tmp/wget.err)"
	fi
fi

if [ $mounted = 1 ]; then
	wait
	echo "PLUMB-VT guest.bin $(wc -c < /mnt/guest.bin) $(md5sum /mnt/guest.bin | cut -d' ' -f1) (at $(up) s)"
	umount /mnt && ok "unmounted"
fi
echo "PLUMB-VT done"
poweroff -f
