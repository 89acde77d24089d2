# Every bad input gives one clear line on stderr and a non-zero status:
# 2 for a command line plumb cannot parse, 4 for anything else.
. ./lib.sh

G=/tests/guests/mbcheck.elf
expect() { # expect RC "text in the message" plumb-args...
	want=$1 text=$2; shift 2
	plumb "$@" > /tmp/out 2> /tmp/err; rc=$?
	n=$(wc -l < /tmp/err)
	if [ "$rc" -eq "$want" ] && [ "$n" -eq 1 ] && grep -q -- "$text" /tmp/err; then
		ok "plumb $*: rc $rc: $(cat /tmp/err)"
	else
		fail "plumb $*: rc $rc (want $want), $n line(s): $(cat /tmp/err)"
	fi
}
head -c 4200 $G > /tmp/truncated.elf
head -c 1000 /tests/guests/vmlinuz > /tmp/truncated.bz
: > /tmp/empty

# The module is not loaded yet.
expect 4 "is the module loaded?" run
insmod /plumb/plumb.ko && chgrp plumb /dev/plumb && chmod 0660 /dev/plumb
expect 4 "No such file or directory" run --kernel /nonexistent
expect 4 "neither a Linux bzImage nor a multiboot" run --kernel /etc/passwd
expect 4 "beyond the end of the file" run --kernel /tmp/truncated.elf
expect 4 "truncated" run --kernel /tmp/truncated.bz
expect 4 "No such file" run --kernel $G --initrd /nonexistent
expect 4 "the file is empty" run --flat /tmp/empty@0x1000
expect 4 "not all guest RAM" run --mem 16M --flat $G@0x2000000
expect 4 "more than this host's" run --mem 64G
expect 4 "more --mem" run --mem 2M --kernel /tests/guests/vmlinuz
expect 4 "exclude each other" run --kernel $G --flat $G@0x1000
expect 4 "give 1 to 64" run --cpus 0
expect 2 "want a size" run --mem lots
expect 2 "FILE@ADDR" run --flat $G
expect 2 "want a number" run --cpus x
expect 2 "unknown command" launch
expect 2 "unexpected argument" run extra
plumb run --bogus > /dev/null 2>&1; rc=$?
check "an unknown option: status 2 (rc $rc)" test "$rc" -eq 2

# No permission on /dev/plumb: uid 65534, not in group plumb.
su -s /bin/sh nobody -c "plumb run" > /tmp/out 2> /tmp/err; rc=$?
check "no permission: status 4 (rc $rc)" test "$rc" -eq 4
check "no permission: says what to do: $(cat /tmp/err)" grep -q "add yourself to the 'plumb' group" /tmp/err

# Another hypervisor owns VT-x/AMD-V: KVM with a VM open.
kvmdir=/kvm
if insmod $kvmdir/irqbypass.ko* 2>/dev/null; insmod $kvmdir/ccp.ko* 2>/dev/null;
   insmod $kvmdir/kvm.ko* && insmod $kvmdir/kvm-$( [ "$PLUMB_BACKEND" = vmx ] && echo intel || echo amd).ko*; then
	./t_kvmhold > /tmp/hold 2>&1 &
	hold=$!
	for i in 1 2 3 4 5 6 7 8 9 10; do grep -q held /tmp/hold && break; sleep 1; done
	if grep -q held /tmp/hold; then
		expect 4 "another hypervisor owns VT-x/AMD-V" run
	else
		fail "KVM could not create a VM: $(cat /tmp/hold)"
	fi
	kill $hold; wait $hold 2>/dev/null
	rmmod kvm_amd kvm_intel 2>/dev/null; rmmod kvm irqbypass ccp 2>/dev/null
else
	fail "cannot load KVM to provoke the owner conflict"
fi
rmmod plumb
done_
