# run_linux_virtio.sh SERIES mmio|pci [net]
# Debian's kernel SERIES as a guest with plumb's virtio devices on the
# transport given: its /init (tests/guests/vinit.sh) loads the virtio
# modules, mounts the ext4 image on virtio-blk, checks the file the host
# wrote and writes 1 MiB read from virtio-rng's /dev/hwrng, says hello on
# hvc0 (virtio-console); the host then
# reads that file back out of the image (debugfs) and compares. With
# "net", in a network namespace of its own: a bridge at 10.0.2.2, the
# launcher's tap on it; the guest pings it and sends 64 MiB, whose md5
# both ends compare.
. ./lib.sh

series=$1
t=$2
net=${3:-}
K=/tests/guests/vmlinuz-$series
I=/tests/guests/virtio-initrd-$series
D=/tmp/vdisk.ext4
out=/tmp/lv.out
err=/tmp/lv.err
[ -f "$K" ] && [ -f "$I" ] || { fail "no $K or $I in the initramfs"; done_; }
cp /tests/guests/vdisk.ext4 $D
want=$(debugfs -R "cat /host.txt" $D 2>/dev/null | md5sum | cut -d' ' -f1)
limit=240
case "$PLUMB_HOST" in bochs*) limit=1500 ;; esac
append="console=ttyS0 loglevel=${LV_LOGLEVEL:-4} nmi_watchdog=0 panic=-1 vt_md5=$want"
run="timeout -s KILL $limit plumb run --kernel $K --initrd $I --mem 320M \
	--virtio $t --disk $D --rng --vconsole"

if [ -z "$net" ]; then
	$run --append "$append" < /dev/null > $out 2> $err
	echo $? > /tmp/lv.rc
else
	for m in $(cat /netmods/list); do
		grep -q "^$m " /proc/modules || insmod /netmods/$m.ko
	done
	cat > /tmp/lv-netns.sh <<-EOS
	ip link set lo up
	brctl addbr br0
	ip addr add 10.0.2.2/24 dev br0
	ip link set br0 up
	# busybox nc ends the connection when its stdin ends: keep it open.
	sleep 100000 | nc -l -p 5000 > /tmp/lv.net &
	(i=0; while [ \$i -lt $limit ]; do
		ip link show vt0 2>/dev/null | grep -q 'master br0' &&
			{ ip link show vt0 > /tmp/lv.tap; break; }
		sleep 1; i=\$((i + 1)); done) &
	$run --net tap=vt0,bridge=br0 --append "$append vt_net=1" \
		< /dev/null > $out 2> $err
	echo \$? > /tmp/lv.rc
	sleep 1
	kill %1 %2 2>/dev/null
	killall sleep 2>/dev/null
	EOS
	unshare -n sh /tmp/lv-netns.sh
fi
rc=$(cat /tmp/lv.rc)
guest_log $out
cat $err
echo "plumb run ended with status $rc"
check "the launcher exited 0 (the guest powered off)" test "$rc" -eq 0
check "the guest's /init ran" grep -q '^PLUMB-VT start' $out
check "it finished" grep -q '^PLUMB-VT done' $out
check "no step failed" not grep -q '^PLUMB-VT FAIL' $out
check "hvc0 (virtio-console) wrote on the launcher's output" grep -q '^PLUMB-VT hvc0 says hello' $out
check "/dev/vda appeared" grep -q '^PLUMB-VT ok: /dev/vda' $out
check "ext4 on virtio-blk mounted" grep -q '^PLUMB-VT ok: ext4 mounted' $out
check "the host's file read back intact ($want)" grep -q "^PLUMB-VT ok: host.txt md5 $want " $out
check "hwrng is virtio-rng" grep -q '^PLUMB-VT rng virtio_rng' $out
gline=$(grep -m1 '^PLUMB-VT guest.bin' $out | tr -d '\r')
gsum=$(echo "$gline" | cut -d' ' -f4)
hsum=$(debugfs -R "cat /guest.bin" $D 2>/dev/null | md5sum | cut -d' ' -f1)
check "1 MiB from hwrng written ($gline)" test "$(echo "$gline" | cut -d' ' -f3)" = 1048576
check "the host reads the guest's file out of the image (md5 $hsum)" \
	test -n "$gsum" -a "$gsum" = "$hsum"
check "no device reported broken" not grep -q 'needs a reset' $err
# A queue the device left unserved for 5 s (e.g. a notification that
# waited in the ring while the guest computed) is a guest-visible stall.
check "no transmit timeout in the guest (NETDEV WATCHDOG)" \
	not grep -Eq 'NETDEV WATCHDOG|TX timeout' $out
# (Worded so that run-host.sh's kernel-log patterns never match this line.)
check "the guest's log shows no oops, warning, lockup or stall" \
	not grep -Eq 'Oops|WARNING:|BUG:|blocked for more than|soft lockup|rcu.*stall' $out
if [ -n "$net" ]; then
	nline=$(grep -m1 '^PLUMB-VT net-sent' $out | tr -d '\r')
	echo "$nline"
	md5sum /tmp/lv.net | cut -d' ' -f1 > /tmp/lv.netmd5
	echo "received $(wc -c < /tmp/lv.net) bytes; first MiB $(head -c 1048576 /tmp/lv.net | md5sum)"
	cat /tmp/lv.tap
	check "the tap was up on the bridge" grep -q 'master br0' /tmp/lv.tap
	check "eth0 (virtio-net) up" grep -q '^PLUMB-VT ok: eth0 up' $out
	check "the guest pinged the emulated host" grep -q '^PLUMB-VT ok: ping' $out
	check "64 MiB arrived intact (md5 $(cat /tmp/lv.netmd5))" \
		test -n "$nline" -a "$(echo "$nline" | cut -d' ' -f5)" = "$(cat /tmp/lv.netmd5)"
fi
rm -f $D /tmp/lv.net
done_
