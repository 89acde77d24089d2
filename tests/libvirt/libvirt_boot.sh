# Inside the emulated host (busybox sh, from /tests): libvirtd + virsh boot
# Debian's 6.12 kernel on plumb's KVM personality, as a user would:
# insmod plumb.ko kvm_personality=on, libvirtd -d, virsh define + start a
# domain with <ioapic driver='qemu'/>, wait for the guest's marker and for
# the domain to shut off. LIBVIRT_LOCAL=1 (a chroot on a machine without
# VT, for trying the recipe) skips plumb and asks for type='qemu' (TCG).
. ./lib.sh
now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }
# wait_for SECS CMD...: until CMD succeeds or SECS seconds have passed.
wait_for() {
	_end=$(echo "$(now) $1" | awk '{ print $1 + $2 }'); shift
	until "$@"; do
		[ "$(echo "$(now) $_end" | awk '{ print ($1 > $2) }')" = 1 ] && return 1
		sleep 0.2
	done
}
V="virsh -c qemu:///system"
EMU=/usr/local/bin/qemu-system-x86_64-split
CON=/tmp/plumb-boot.console
DOM=plumb-boot
t0=$(now)

finish() {
	echo "RESULT libvirt marker ${tm:-none} s end ${te:-none} s total $(since $t0) s"
	if [ -f $CON ]; then
		echo "--- guest console ($CON)"
		guest_log $CON
	fi
	echo "--- /var/log/libvirt/qemu/$DOM.log (QEMU's command line)"
	cat /var/log/libvirt/qemu/$DOM.log 2>/dev/null
	echo "--- libvirtd.log (warnings and errors)"
	tail -n 60 /var/log/libvirt/libvirtd.log
	$V destroy $DOM > /dev/null 2>&1
	$V undefine $DOM > /dev/null 2>&1
	pid=$(cat /run/libvirtd.pid 2>/dev/null)
	[ -n "$pid" ] && kill "$pid"
	wait_for 10 not test -e /run/libvirtd.pid
	if [ -z "${LIBVIRT_LOCAL:-}" ]; then
		check "rmmod plumb" rmmod plumb
		echo "--- host kernel log since the test began"
		new_dmesg
	fi
	done_
}
step() { # step "what" CMD...: check, and on failure the logs and the end
	check "$@" || finish
}

mkdir -p /dev/pts /dev/shm /run /var/log/libvirt/qemu \
	/var/lib/libvirt/qemu /var/cache/libvirt/qemu /etc/libvirt/qemu
grep -q " /dev/pts " /proc/mounts || mount -t devpts devpts /dev/pts
grep -q " /dev/shm " /proc/mounts || mount -t tmpfs tmpfs /dev/shm
# Debian's layout: libvirtd binds /run/libvirt/libvirt-sock, virsh connects
# to /var/run/libvirt/libvirt-sock.
[ -L /var/run ] || { rm -rf /var/run && ln -s /run /var/run; }
# libvirtd resolves Debian's built-in QEMU user and group before it reads
# qemu.conf (which says root): they must exist.
grep -q ^libvirt-qemu: /etc/passwd ||
	echo "libvirt-qemu:x:64055:107:libvirt qemu:/var/lib/libvirt:/bin/false" >> /etc/passwd
grep -q ^kvm: /etc/group || echo "kvm:x:107:" >> /etc/group
grep -q ^libvirt-qemu: /etc/group || echo "libvirt-qemu:x:64055:" >> /etc/group
rm -f $CON

if [ -z "${LIBVIRT_LOCAL:-}" ]; then
	insmod /plumb/plumb.ko kvm_personality=on || { fail "insmod kvm_personality=on"; done_; }
	ls -l /dev/kvm /dev/plumb-kvm
	cat /sys/class/misc/plumb/kvm_nodes 2>/dev/null
	step "/dev/kvm is a character device" test -c /dev/kvm
	virt=kvm
else
	virt=qemu
fi

/usr/sbin/libvirtd -d
step "libvirtd listens ($(since $t0) s)" wait_for 60 test -S /run/libvirt/libvirt-sock
$V version
t1=$(now)
# The first call that needs the capabilities probes QEMU (twice: KVM, TCG).
$V domcapabilities --emulatorbin $EMU --virttype $virt --machine pc > /tmp/domcaps.xml 2>&1
step "domcapabilities --virttype $virt ($(since $t1) s)" grep -q "<domain>$virt</domain>" /tmp/domcaps.xml
grep -E "<domain>|<machine>|<vcpu|mode name='host-model' supported|<model fallback" /tmp/domcaps.xml
sed "s/@VIRT@/$virt/" /tests/libvirt-domain.xml > /tmp/$DOM.xml
step "virsh define" $V define /tmp/$DOM.xml
t2=$(now)
step "virsh start" $V start $DOM
marker() { grep -q PLUMB-BOOT-OK $CON 2>/dev/null; }
wait_for 240 marker
tm=$(since $t2)
step "guest marker PLUMB-BOOT-OK ($tm s after virsh start)" marker
off() { [ "$($V domstate $DOM 2>/dev/null | head -1)" = "shut off" ]; }
wait_for 60 off
te=$(since $t2)
step "domain shut off ($te s after virsh start)" test "$($V domstate $DOM --reason | head -1)" = "shut off (shutdown)"
finish
