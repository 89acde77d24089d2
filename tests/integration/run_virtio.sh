# plumb's virtio devices through the real module, without a Linux guest:
# tests/guests/vcheck.c drives virtio-blk, virtio-rng and virtio-console
# over virtio-mmio and virtio-pci (polled, then one request waiting in HLT
# for the IOAPIC line or the MSI-X message), and breaks the disk with a
# read past its end. The host checks what the guest wrote to the disk and
# that the broken device was reported once.
. ./lib.sh

G=/tests/guests/vcheck.elf
D=/tmp/vdisk
for t in mmio pci; do
	dd if=/dev/zero of=$D bs=1024 count=1024 2>/dev/null
	printf 'PLUMB-VBLK' | dd of=$D conv=notrunc 2>/dev/null
	plumb run --kernel $G --virtio $t --disk $D --rng --vconsole \
		--append "$t" > /tmp/out 2>/tmp/err < /dev/null; rc=$?
	guest_log /tmp/out
	cat /tmp/err
	check "$t: status 1 = every check passed (rc $rc)" test "$rc" -eq 1
	check "$t: no FAIL: line" not grep -q FAIL: /tmp/out
	check "$t: a SUMMARY line" grep -q '^SUMMARY: [0-9]* tests.\?$' /tmp/out
	check "$t: hvc0's line reached the console" grep -q "hvc0: hello from vcheck" /tmp/out
	sum=$(dd if=$D bs=512 skip=1 count=1 2>/dev/null | md5sum | cut -d' ' -f1)
	check "$t: the guest's sector 1 is in the file ($sum)" \
		test "$sum" = 1501b84fa29a0cc9e7c8d683e57dd92c
	check "$t: the broken disk was reported once on stderr" \
		test "$(grep -c 'virtio-blk0: .*needs a reset' /tmp/err)" -eq 1
done
rm -f $D
done_
