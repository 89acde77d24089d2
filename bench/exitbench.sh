# Inside the emulated host: the same guest loops on Debian's KVM and on
# plumb, one after the other, then the ratios plumb/KVM (lower is better).
. ./lib.sh

scale=1
[ "${PLUMB_SLOW:-1}" -gt 1 ] && scale=10	# Bochs: a tenth of the loops
load_kvm || { echo "FAIL: cannot load Debian's kvm_$vendor"; exit 1; }
./exitbench kvm $scale > /tmp/kvm.out || { cat /tmp/kvm.out; echo "FAIL: exitbench kvm"; exit 1; }
unload_kvm || { echo "FAIL: cannot unload kvm_$vendor"; exit 1; }
insmod /plumb/plumb.ko || { echo "FAIL: insmod plumb"; exit 1; }
./exitbench plumb $scale > /tmp/plumb.out || { cat /tmp/plumb.out; rmmod plumb; echo "FAIL: exitbench plumb"; exit 1; }
rmmod plumb || { echo "FAIL: rmmod plumb"; exit 1; }
cat /tmp/kvm.out /tmp/plumb.out
# RATIO metric plumb-ns kvm-ns plumb/kvm
cat /tmp/kvm.out /tmp/plumb.out | awk '
$1 == "RESULT" { ns[$2 " " $3] = $4 }
END {
	split("pio_in_roundtrip cpuid_in_kernel serial_byte", m, " ")
	for (i = 1; i <= 3; i++) {
		p = ns["plumb " m[i]]; k = ns["kvm " m[i]]
		if (p && k) printf "RATIO %s plumb %s ns kvm %s ns plumb/kvm %.2f\n", m[i], p, k, p / k
	}
	p = ns["plumb serial_byte_unposted"]; k = ns["kvm serial_byte"]
	if (p && k) printf "RATIO serial_byte_unposted plumb %s ns kvm %s ns plumb/kvm %.2f\n", p, k, p / k
}'
echo "PASSED: benchmark ran"
