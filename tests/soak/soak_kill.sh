# soak_kill.sh SEED KILLS: SIGKILL a launcher in the middle of a Debian
# boot with virtio devices, KILLS times, each at a point drawn from SEED.
# The guest: Debian's 6.12 with tests/guests/vinit.sh as /init (as
# run_linux_virtio.sh), virtio-blk, -rng, -console and -net (a tap on a
# bridge in a network namespace of its own), transport pci and mmio in
# turn. First one whole boot (status 0) gives the reference length T;
# each kill then comes at 0.2 s + [0, 0.8 T) s (boots vary with the load
# of the machine: a later point often found the guest powered off). After every kill the module's
# counters must be 0 within 5 s; after all of them, with the page cache
# dropped, MemFree within MEM_TOL_KB of the value after the reference
# boot and Mlocked unchanged; a last whole boot must still pass, and
# rmmod plumb must work.
. ./lib.sh
. ./soaklib.sh

seed=$1
kills=$2
# 16 MiB: one in 20 of the guest's 320 MiB. A kill that left the guest's
# memory behind loses up to 320 MiB (the pinned_pages counter sees the
# pinned part); what else a run allocates in the kernel (VMCB or VMCS,
# rings, the tap, about 100 KiB) would pass 16 MiB after some 160 kills.
MEM_TOL_KB=${MEM_TOL_KB:-16384}

if [ -z "${SOAK_NETNS:-}" ]; then
	for m in $(cat /netmods/list); do
		grep -q "^$m " /proc/modules || insmod /netmods/$m.ko
	done
	SOAK_NETNS=1 exec unshare -n sh "$0" "$@"
fi
ip link set lo up
brctl addbr br0
ip addr add 10.0.2.2/24 dev br0
ip link set br0 up

K=/tests/guests/vmlinuz-6.12
I=/tests/guests/virtio-initrd-6.12
D=/tmp/kdisk.ext4
cp /tests/guests/vdisk.ext4 $D
want=$(debugfs -R "cat /host.txt" $D 2>/dev/null | md5sum | cut -d' ' -f1)
append="console=ttyS0 loglevel=4 nmi_watchdog=0 panic=-1 vt_md5=$want"
limit=$((240 * ${PLUMB_SLOW:-1}))
boot() { # boot TRANSPORT: in the background, pid in $pid
	plumb run --kernel $K --initrd $I --mem 320M --virtio "$1" --disk $D \
		--rng --vconsole --net tap=vk0,bridge=br0 --append "$append" \
		< /dev/null > /tmp/kill.out 2> /tmp/kill.err &
	pid=$!
}
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# The reference boot.
t0=$(ms)
boot pci
( sleep $limit; kill -KILL $pid ) > /dev/null 2>&1 &
dog=$!
wait $pid
rc=$?
kill $dog 2>/dev/null
full=$(($(ms) - t0))
check "the reference boot powered off (status $rc) in $full ms" test "$rc" -eq 0
check "  and its /init finished" grep -q '^PLUMB-VT done' /tmp/kill.out
[ "$rc" -eq 0 ] || { guest_log /tmp/kill.out | tail -n 30; cat /tmp/kill.err; }
check "counters 0 after it: $(counters)" counters_zero
drop_caches
free0=$(meminfo MemFree)
lock0=$(meminfo Mlocked)
echo "baseline: MemFree $free0 kB, Mlocked $lock0 kB; $(counters)"
grep -E '^(AnonPages|Shmem|Slab|SUnreclaim|VmallocUsed|KernelStack|PageTables):' /proc/meminfo | tr -s ' ' | tr '\n' ' '
echo

# The kill points, in ms from the launcher's start.
awk -v s="$seed" -v n="$kills" -v t="$full" 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%d\n", 200 + rand() * t * 0.8 }' > /tmp/kill.points
k=0
early=0; ininit=0; finished=0; leaks=0
t_all=$(ms)
while read -r at; do
	k=$((k + 1))
	tr=pci
	[ $((k % 2)) -eq 0 ] && tr=mmio
	cp /tests/guests/vdisk.ext4 $D
	boot $tr
	usleep $((at * 1000))
	if kill -0 $pid 2>/dev/null; then
		kill -KILL $pid
		wait $pid
		rc=$?
		[ "$rc" -eq 137 ] || finished=$((finished + 1))
	else
		wait $pid
		rc=$?
		finished=$((finished + 1))
		echo "kill $k: the launcher had ended by itself (status $rc) before ${at} ms"
	fi
	# How far the boot got when killed.
	if [ "$rc" -ne 137 ]; then :
	elif grep -q '^PLUMB-VT start' /tmp/kill.out; then ininit=$((ininit + 1))
	else early=$((early + 1)); fi
	if ! counters_zero 5; then
		leaks=$((leaks + 1))
		echo "kill $k ($tr at $at ms): counters not 0 after 5 s: $(counters)"
	fi
	echo "kill $k: $tr at $at ms, status $rc, $(grep -c '^PLUMB-VT' /tmp/kill.out) /init lines; MemFree $(meminfo MemFree) kB; $(counters)"
done < /tmp/kill.points
t_kills=$((($(ms) - t_all) / 1000))
echo "SOAK-KILL kills=$k seed=$seed reference-boot=${full}ms time=${t_kills}s killed-before-init=$early killed-in-init=$ininit ended-before-kill=$finished"
check "$k launchers killed ($kills asked)" test "$k" -eq "$kills"
check "after every kill the counters were 0 within 5 s ($leaks times not)" test "$leaks" -eq 0
drop_caches
free1=$(meminfo MemFree)
lock1=$(meminfo Mlocked)
echo "after: MemFree $free1 kB ($((free1 - free0)) kB), Mlocked $lock1 kB; $(counters)"
grep -E '^(AnonPages|Shmem|Slab|SUnreclaim|VmallocUsed|KernelStack|PageTables):' /proc/meminfo | tr -s ' ' | tr '\n' ' '
echo
for w in 10 30; do
	sleep $w
	drop_caches
	echo "after $w s more: MemFree $(meminfo MemFree) kB"
done
free1=$(meminfo MemFree)
check "MemFree back within $MEM_TOL_KB kB of the baseline ($free0 -> $free1 kB)" \
	test $((free0 - free1)) -le "$MEM_TOL_KB"
check "Mlocked as before ($lock0 -> $lock1 kB)" test "$lock1" -le "$lock0"

# Still working: one more whole boot.
cp /tests/guests/vdisk.ext4 $D
boot mmio
( sleep $limit; kill -KILL $pid ) > /dev/null 2>&1 &
dog=$!
wait $pid
rc=$?
kill $dog 2>/dev/null
check "a whole boot after the kills powered off (status $rc)" test "$rc" -eq 0
check "  and its /init finished" grep -q '^PLUMB-VT done' /tmp/kill.out
[ "$rc" -eq 0 ] || { guest_log /tmp/kill.out | tail -n 30; cat /tmp/kill.err; }
check "counters 0: $(counters)" counters_zero
drop_caches
echo "after the last boot: MemFree $(meminfo MemFree) kB"
check "rmmod plumb works" rmmod plumb
drop_caches
echo "after rmmod: MemFree $(meminfo MemFree) kB"
rm -f $D
ip link del br0 2>/dev/null
drop_caches
echo "after removing the disk image and the bridge: MemFree $(meminfo MemFree) kB"
done_
