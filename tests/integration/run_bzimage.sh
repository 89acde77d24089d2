# Debian's own kernel (the host's vmlinuz) booted as a guest by the 64-bit
# boot protocol. Without interrupts (issue 6) it cannot finish booting: it
# must get as far as its first wait for a timer tick (the delay-loop
# calibration, right after the TSC calibration), stay there without a panic,
# and SIGTERM then ends the VM cleanly (status 12).
. ./lib.sh

K=/tests/guests/vmlinuz
[ -f $K ] || { fail "no $K in the initramfs"; done_; }
limit=60
case "$PLUMB_HOST" in bochs*) limit=160 ;; esac
start=$(date +%s)
plumb run --kernel $K --mem 256M --initrd /tests/guests/tiny-initrd \
	--append "console=ttyS0 earlyprintk=serial,ttyS0,115200 loglevel=8 panic=-1" \
	> /tmp/bz.out 2>/tmp/bz.err &
pid=$!
# The TSC calibration is the last thing before the first timer wait.
while [ $(( $(date +%s) - start )) -lt $limit ] && kill -0 $pid 2>/dev/null &&
	! grep -Eq "tsc: (Marking TSC unstable|Refined TSC|Detected)" /tmp/bz.out; do
	sleep 1
done
reached=$(( $(date +%s) - start ))
sleep 3		# it must stay there, alive and quiet
alive=0; kill -0 $pid 2>/dev/null && alive=1
kill -TERM $pid 2>/dev/null
wait $pid; rc=$?
guest_log /tmp/bz.out
cat /tmp/bz.err
echo "reached the timer wait after ${reached}s (limit ${limit}s)"
check "the kernel started (Linux version on the console)" grep -q "Linux version" /tmp/bz.out
check "it took our e820 map" grep -q "BIOS-e820: \[mem 0x0000000000100000-0x000000000fffffff\] usable" /tmp/bz.out
check "it took our command line" grep -q "Command line: console=ttyS0" /tmp/bz.out
check "it found the initrd" grep -q "RAMDISK: \[mem" /tmp/bz.out
check "its 8250 driver took over the console" grep -Eq "printk: (legacy )?console \[ttyS0\] enabled" /tmp/bz.out
check "it got to the TSC calibration, the last step before the first timer wait" \
	grep -Eq "tsc: (Marking TSC unstable|Refined TSC|Detected)" /tmp/bz.out
check "no panic" not grep -q "Kernel panic" /tmp/bz.out
check "still running 3 s later (waiting for a tick)" test "$alive" -eq 1
check "stopped by SIGTERM: status 12 (rc $rc)" test "$rc" -eq 12
done_
