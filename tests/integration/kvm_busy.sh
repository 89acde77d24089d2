# Another hypervisor owns VMX/SVM: Debian's KVM, loaded in the emulated
# host. On Linux 6.12 kvm takes VMX/SVM when kvm_intel/kvm_amd loads
# (enable_virt_at_load): CREATE_VM must fail with EBUSY and exactly one
# log line naming the owner and the fix; once KVM is unloaded it works.
# On 6.1 KVM takes it only while it has a VM: plumb must work beside an
# idle kvm_intel/kvm_amd.
. ./lib.sh

case $PLUMB_BACKEND in
vmx) vendor=kvm-intel mod=kvm_intel ;;
*) vendor=kvm-amd mod=kvm_amd ;;
esac
if [ ! -f /kvm/kvm.ko ] || [ ! -f /kvm/$vendor.ko ]; then
	fail "no KVM modules in this host (/kvm)"
	done_
fi
check "insmod plumb" insmod /plumb/plumb.ko
check "insmod irqbypass kvm $vendor" sh -c \
	"/usr/local/sbin/insmod /kvm/irqbypass.ko && /usr/local/sbin/insmod /kvm/kvm.ko && /usr/local/sbin/insmod /kvm/$vendor.ko"
at_load=$(cat /sys/module/kvm/parameters/enable_virt_at_load 2>/dev/null || echo absent)
mark=$(dmesg | wc -l)
got=$(./t_guest createvm)
if [ "$at_load" = Y ]; then
	check "kvm took VMX/SVM at load: CREATE_VM is EBUSY (got $got)" test "$got" = EBUSY
	lines=$(dmesg | tail -n +"$((mark + 1))" | grep -c "already in use")
	check "one log line says who holds it (got $lines)" test "$lines" = 1
	check "it names the fix" sh -c "dmesg | grep 'already in use' | grep -q 'kvm.enable_virt_at_load=0'"
else
	check "kvm idle ($at_load): CREATE_VM works beside it (got $got)" test "$got" = created
fi
check "rmmod $mod kvm" rmmod $mod kvm
got=$(./t_guest createvm)
check "without KVM, CREATE_VM works (got $got)" test "$got" = created
rmmod irqbypass 2>/dev/null
check "rmmod plumb" rmmod plumb
done_
