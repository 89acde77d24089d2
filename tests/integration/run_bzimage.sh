# Debian's own kernel (the host's vmlinuz) booted as a guest by the 64-bit
# boot protocol: what the loader hands it (e820 map, command line, initrd)
# and that its 8250 driver takes over our console. It then runs to
# userspace and powers off (run_linux.sh checks that part in depth); a
# SIGTERM stops a guest that does not.
. ./lib.sh

K=/tests/guests/vmlinuz
[ -f $K ] || { fail "no $K in the initramfs"; done_; }
limit=60
case "$PLUMB_HOST" in bochs*) limit=160 ;; esac
start=$(date +%s)
plumb run --kernel $K --mem 256M --initrd /tests/guests/boot-initrd \
	--append "console=ttyS0 earlyprintk=serial,ttyS0,115200 loglevel=8 panic=-1" \
	< /dev/null > /tmp/bz.out 2>/tmp/bz.err &
pid=$!
while [ $(( $(date +%s) - start )) -lt $limit ] && kill -0 $pid 2>/dev/null; do
	sleep 1
done
kill -TERM $pid 2>/dev/null
wait $pid; rc=$?
guest_log /tmp/bz.out
cat /tmp/bz.err
echo "ended with status $rc after $(( $(date +%s) - start ))s (limit ${limit}s)"
check "the kernel started (Linux version on the console)" grep -q "Linux version" /tmp/bz.out
check "it took our e820 map" grep -q "BIOS-e820: \[mem 0x0000000000100000-0x000000000fffffff\] usable" /tmp/bz.out
check "it took our command line" grep -q "Command line: console=ttyS0" /tmp/bz.out
check "it found the initrd" grep -q "RAMDISK: \[mem" /tmp/bz.out
check "its 8250 driver took over the console" grep -Eq "printk: (legacy )?console \[ttyS0\] enabled" /tmp/bz.out
check "it knew the TSC frequency" grep -Eq "tsc: Detected [0-9.]+ MHz" /tmp/bz.out
check "no panic" not grep -q "Kernel panic" /tmp/bz.out
check "it ran its /init from our initrd" grep -q "^PLUMB-BOOT-OK" /tmp/bz.out
check "and powered off: status 0 (rc $rc)" test "$rc" -eq 0
done_
