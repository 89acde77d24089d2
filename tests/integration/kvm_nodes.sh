# The KVM personality's device nodes: /dev/plumb-kvm always, /dev/kvm
# with kvm_personality=on unless a KVM module holds it, and what a KVM
# module loaded afterwards meets. `plumb info` names them.
. ./lib.sh

minor_of() { cat /sys/class/misc/$1/dev 2>/dev/null; }
logged() { new_dmesg | grep -q "$1"; }

check "insmod" insmod /plumb/plumb.ko
check "/dev/plumb-kvm is a character device" test -c /dev/plumb-kvm
check "its mode is 0660" sh -c "stat -c %a /dev/plumb-kvm | grep -qx 660"
check "no /dev/kvm by default" test ! -e /dev/kvm
out=$(plumb info 2>&1)
check "plumb info: kvm-abi: /dev/plumb-kvm" sh -c "echo '$out' | grep -qx 'kvm-abi: /dev/plumb-kvm'"
check "rmmod" rmmod plumb
check "/dev/plumb-kvm gone" test ! -e /dev/plumb-kvm

check "insmod kvm_personality=on" insmod /plumb/plumb.ko kvm_personality=on
check "/dev/kvm is 10:232 (KVM's minor)" sh -c "[ \"$(minor_of kvm)\" = 10:232 ]"
check "/dev/kvm exists" test -c /dev/kvm
out=$(plumb info 2>&1)
check "plumb info: both nodes" sh -c "echo '$out' | grep -qx 'kvm-abi: /dev/plumb-kvm /dev/kvm'"
check "the log says so" logged 'KVM ABI on /dev/plumb-kvm and /dev/kvm'
# A KVM module loaded now is refused by plumb before its init runs, and
# plumb goes on. (Left to fail in its own misc_register(), Debian 6.1's
# kvm_amd left its syscore ops registered: the next KVM load after
# rmmod kvm oopsed in register_syscore_ops, the last section below.)
load_kvm > /tmp/kvmload 2>&1; rc=$?
check "kvm_$vendor refuses to load while plumb holds /dev/kvm (rc $rc)" test "$rc" -ne 0
check "kvm_$vendor is not loaded" sh -c "! grep -q '^kvm_$vendor ' /proc/modules"
check "plumb says why it refused kvm_$vendor" logged "refusing to load kvm_$vendor: plumb holds /dev/kvm"
check "KVM's init never ran" sh -c "! dmesg | grep -q 'kvm: misc device register failed'"
rmmod kvm 2>/dev/null; rmmod irqbypass 2>/dev/null; rmmod ccp 2>/dev/null
check "rmmod plumb" rmmod plumb
check "/dev/kvm gone with plumb" test ! -e /dev/kvm

# A KVM module first: plumb loads, keeps to /dev/plumb-kvm, and says why.
check "load Debian's kvm_$vendor" load_kvm
check "insmod kvm_personality=on beside KVM" insmod /plumb/plumb.ko kvm_personality=on
check "the warning names the reason" logged '/dev/kvm (minor 232) is taken'
out=$(plumb info 2>&1)
check "plumb info: only /dev/plumb-kvm" sh -c "echo '$out' | grep -qx 'kvm-abi: /dev/plumb-kvm'"
check "/dev/kvm is still KVM's" sh -c "[ \"$(minor_of kvm)\" = 10:232 ]"
check "rmmod plumb" rmmod plumb
check "/dev/kvm stays KVM's" test -c /dev/kvm
check "unload kvm_$vendor" unload_kvm
done_
