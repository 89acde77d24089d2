# Another hypervisor owns VT: Debian's KVM, loaded in the emulated host.
# plumb's CREATE_VM fails with EBUSY and one log line naming the owner and
# the fix while KVM holds SVM/VMX, and works again once it lets go.
. ./lib.sh

check "load Debian's kvm_$vendor" load_kvm
check "plumb against a KVM VM: EBUSY, then works (t_stress busy)" ./t_stress busy
check "the EBUSY line names the fix" sh -c \
	"dmesg | grep 'already in use' | grep -q 'kvm.enable_virt_at_load=0'"
check "unload kvm_$vendor" unload_kvm
check "plumb runs a guest once KVM is gone" sh -c './t_guest hello64 > /dev/null'

# Linux 6.12 takes VT when kvm loads, unless told not to.
if modinfo -p /kvm/kvm.ko | grep -q '^enable_virt_at_load'; then
	check "load kvm with enable_virt_at_load=0" load_kvm enable_virt_at_load=0
	check "plumb runs a guest while that KVM is loaded" sh -c './t_guest hello64 > /dev/null'
	check "the same EBUSY dance with KVM's VM (t_stress busy)" ./t_stress busy
	check "unload kvm_$vendor" unload_kvm
fi
done_
