# The QEMU-compatible entry point, as kvm-unit-tests' x86/run drives it.
. ./lib.sh

ln -sf /usr/local/bin/plumb /tmp/qemu-system-x86_64
Q=/tmp/qemu-system-x86_64
G=/tests/guests/mbcheck.elf
$Q --help | grep -q QEMU && ok "--help mentions QEMU" || fail "--help lacks QEMU"
$Q -device '?' | grep -q '"pc-testdev"' && ok "-device ? lists \"pc-testdev\"" || fail "-device ? lacks pc-testdev"
$Q -kernel _NO_FILE_4Uhere_ 2>&1 | grep -q "could not load kernel" &&
	ok "a missing kernel: could not load kernel" || fail "missing kernel message"
$Q -cpu host -kernel $G > /dev/null 2>&1; rc=$?
check "-cpu host refused (rc $rc)" test "$rc" -eq 2
$Q -device hyperv-testdev -kernel $G > /dev/null 2>&1; rc=$?
check "an unknown device refused (rc $rc)" test "$rc" -eq 2
printf 'NR_CPUS=1\nMEMSIZE=128\n' > /tmp/env
$Q --no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard \
	-device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 \
	-display none -serial stdio -machine accel=kvm -kernel $G -smp 1 \
	-append "mem=128 cpus=1" -initrd /tmp/env > /tmp/out 2>/tmp/err; rc=$?
guest_log /tmp/out
check "x86/run's command line runs the guest: status 1 (rc $rc)" test "$rc" -eq 1
check "stderr stays empty" test ! -s /tmp/err
done_
