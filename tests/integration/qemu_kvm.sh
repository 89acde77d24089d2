# qemu_kvm.sh kvm|plumb CASE
# Debian's unmodified QEMU 7.2 (qemu-system-x86_64, in the host's
# initramfs when tests.cfg says "qemu": tests/harness/mkqemucpio.sh) runs
# Debian's 6.12 kernel with -accel kvm,kernel-irqchip=split against:
#   kvm    Debian's own kvm_amd/kvm_intel (load_kvm): the real /dev/kvm.
#          Proves the test itself.
#   plumb  plumb.ko's KVM personality, /dev/plumb-kvm (loaded by the runner,
#          needs "module", or here if it is not), which /dev/kvm then
#          points at: QEMU 7.2 opens /dev/kvm by name. With the module
#          parameter kvm_personality=on plumb registers /dev/kvm itself,
#          and that node is used as it is.
# CASE, each a fresh QEMU:
#   boot1, boot2  -M pc, 1 or 2 vCPUs, run_linux's initramfs
#                 (tests/guests/bootinit.c): the marker with the vCPU count,
#                 a 0.5 s sleep that only a timer interrupt ends, ACPI
#                 power-off, QEMU exit 0.
#   virtio        the same machine with virtio-blk (the ext4 image of the
#                 virtio tests: the guest checks the host's file and writes
#                 1 MiB from virtio-rng, which the host reads back),
#                 virtio-net on QEMU's user-mode network (the guest fetches
#                 1 MiB from an httpd on the host's loopback through slirp,
#                 in a network namespace of the test's own), virtio-console;
#                 the guest is tests/guests/vinit.sh.
#   microvm       Debian's qemu-system-x86_64-microvm (qboot, no PCI, ACPI
#                 GED power-off): the marker and power-off.
#   reboot        -M pc without -no-reboot, plumb_reboot: the guest resets
#                 the machine after its first marker, boots to a second one
#                 and powers off.
# The guest's console comes into the test log as it arrives, through
# guest_log ("guest| " lines, which the host's kernel-log check skips).
. ./lib.sh

dev=$1
case=$2
case "$dev" in kvm|plumb) ;; *) fail "usage: qemu_kvm.sh kvm|plumb CASE"; done_ ;; esac

# The user-mode network case runs in a network namespace of its own: the
# httpd and the loopback it needs change nothing of the host's.
if [ "$case" = virtio ] && [ -z "$QK_NETNS" ]; then
	exec env QK_NETNS=1 unshare -n sh "$0" "$@"
fi

K=/tests/guests/vmlinuz-6.12
Q=qemu-system-x86_64
APPEND="console=ttyS0 loglevel=7 panic=-1"
out=/tmp/qk-$case.out
err=/tmp/qk-$case.err
[ -f "$K" ] || { fail "no $K in the initramfs"; done_; }
command -v $Q > /dev/null ||
	{ fail "no $Q in the initramfs (tests.cfg needs \"qemu\": run-host.sh adds it)"; done_; }

# devnum NODE: "major:minor" of a character device node, as sysfs says it.
devnum() {
	[ -c "$1" ] || { echo "not a character device"; return; }
	# shellcheck disable=SC2046
	set -- $(stat -L -c '%t %T' "$1")
	echo "$((0x$1)):$((0x$2))"
}

# /dev/kvm, from the device asked for.
loaded_here=
linked=
if [ "$dev" = kvm ]; then
	# A link a plumb run left behind would stop devtmpfs making the node.
	[ -L /dev/kvm ] && rm -f /dev/kvm
	load_kvm || { fail "load Debian's kvm_$vendor"; done_; }
	check "/dev/kvm is KVM's: misc 10:232 ($(devnum /dev/kvm))" \
		test "$(devnum /dev/kvm)" = 10:232
else
	if ! module_loaded; then
		insmod /plumb/plumb.ko || { fail "insmod /plumb/plumb.ko"; done_; }
		loaded_here=1
	fi
	if [ -e /dev/kvm ] && [ ! -L /dev/kvm ] && ! grep -q '^kvm ' /proc/modules; then
		# kvm_personality=on: plumb's own /dev/kvm.
		echo "using /dev/kvm as plumb registered it ($(devnum /dev/kvm))"
	else
		i=0
		while [ ! -r /sys/class/misc/plumb-kvm/dev ] && [ $i -lt 50 ]; do
			usleep 100000
			i=$((i + 1))
		done
		mm=$(cat /sys/class/misc/plumb-kvm/dev 2>/dev/null)
		if [ -z "$mm" ]; then
			fail "plumb.ko registered no misc device plumb-kvm (/sys/class/misc/plumb-kvm)"
		else
			# devtmpfs makes the node; by hand if /dev is not devtmpfs.
			[ -c /dev/plumb-kvm ] || mknod /dev/plumb-kvm c "${mm%:*}" "${mm#*:}"
			check "/dev/plumb-kvm is misc $mm ($(devnum /dev/plumb-kvm))" \
				test "$(devnum /dev/plumb-kvm)" = "$mm"
			if grep -q '^kvm ' /proc/modules; then
				fail "Debian's kvm is loaded: /dev/kvm is taken"
			else
				ln -sf /dev/plumb-kvm /dev/kvm && linked=1
			fi
		fi
	fi
fi
cleanup() {
	if [ "$dev" = kvm ]; then
		check "Debian's kvm_$vendor unloads" unload_kvm
	else
		[ -n "$linked" ] && rm -f /dev/kvm
		[ -n "$loaded_here" ] && check "rmmod plumb" rmmod plumb
	fi
}
[ "$fails" -eq 0 ] || { cleanup; done_; }

# run LIMIT QEMU-ARGS...: QEMU with its serial console in $out, which comes
# into the test log as it grows; sets rc and took. For the post-mortem:
#  - a guest panic ends QEMU at once (without -no-reboot, panic=-1 would
#    boot again and again);
#  - 10 s before the limit, QEMU's monitor (a pipe) is asked for every
#    vCPU's registers ("info registers -a": where a hung guest is);
#  - QEMU logs each vCPU's state at every CPU reset (-d cpu_reset; a
#    triple fault resets the machine, which -no-reboot turns into an exit
#    with status 0);
# both are printed when the test fails (show_state).
run() {
	_limit=$(($1 * ${PLUMB_SLOW:-1}))	# Bochs: 2
	shift
	: > $out
	rm -f /tmp/qk-qemu.pid /tmp/qk-mon.in /tmp/qk-mon.out /tmp/qk-mon.txt \
		/tmp/qk-reset.log /tmp/qk-asked
	mkfifo /tmp/qk-mon.in /tmp/qk-mon.out
	# QEMU opens both ends O_RDWR: this blocks until it runs, ends with it.
	cat /tmp/qk-mon.out > /tmp/qk-mon.txt &
	_mon=$!
	( tail -f $out & echo $! > /tmp/qk-tail.pid; wait ) | guest_log &
	_log=$!
	_ask=$(( $(date +%s) + _limit - 10 ))
	( while sleep 2; do
		if grep -q 'Kernel panic' $out; then
			sleep 3
			echo "the guest panicked: stopping QEMU"
			kill "$(cat /tmp/qk-qemu.pid)"
			break
		fi
		if [ "$(date +%s)" -ge $_ask ]; then
			: > /tmp/qk-asked
			timeout 5 sh -c 'echo "info registers -a" > /tmp/qk-mon.in'
			break
		fi
	done ) &
	_watch=$!
	start=$(date +%s)
	echo "$*"
	limited "$_limit" "$@" -pidfile /tmp/qk-qemu.pid -monitor pipe:/tmp/qk-mon \
		-d cpu_reset -D /tmp/qk-reset.log < /dev/null > $out 2> $err
	rc=$?
	took=$(( $(date +%s) - start ))
	kill $_watch 2>/dev/null
	sleep 1
	kill "$(cat /tmp/qk-tail.pid)" 2>/dev/null
	wait $_log
	kill $_mon 2>/dev/null
	cat $err
	echo "QEMU ended with status $rc after ${took}s (limit ${_limit}s)"
}
show_state() {
	[ "$fails" -eq 0 ] && return
	if [ -f /tmp/qk-asked ]; then
		echo "----- QEMU's monitor at the time limit: info registers -a -----"
		tr -d '\r' < /tmp/qk-mon.txt | sed -n '/^CPU#/,$p'	# not the echo
	fi
	# QEMU resets each vCPU twice as it starts; the guest's come after.
	echo "----- QEMU's -d cpu_reset log: $(grep -c '^CPU Reset' /tmp/qk-reset.log 2>/dev/null) resets (2 per vCPU at start-up); the last -----"
	awk '/^CPU Reset/ { n = 0 } { l[n++] = $0 } END { for (i = 0; i < n; i++) print l[i] }' \
		/tmp/qk-reset.log 2>/dev/null
	echo "-----"
}
markers() { grep -c '^PLUMB-BOOT-OK' $out; }
# The checks every Linux guest passes: QEMU's status and a clean log.
common() {
	check "QEMU exited 0" test "$rc" -eq 0
	check "the guest powered off (reboot: Power down)" grep -q 'reboot: Power down' $out
	check "no guest log line of a lockup, panic, oops or warning" \
		not grep -Eq 'soft lockup|Kernel panic|Oops|WARNING:|BUG:|Call Trace|blocked for more than|rcu.*stall' $out
	check "no error on QEMU's stderr (printed above)" not grep -Eiq 'error|fail' $err
}
boot_checks() { # boot_checks CPUS
	marker=$(grep -m1 '^PLUMB-BOOT-OK' $out | tr -d '\r')
	echo "marker: $marker"
	check "userspace ran: the marker" test -n "$marker"
	check "the guest sees $1 CPU(s) ($marker)" \
		test "$(echo "$marker" | sed -n 's/.* cpus=\([^ ]*\).*/\1/p')" = "$1"
	check "a 0.5 s sleep returned (timer interrupts in userspace)" grep -q '^PLUMB-SLEPT ms=' $out
	if [ "$1" -gt 1 ]; then
		check "all $1 CPUs brought up" grep -Eq "smp: Brought up 1 node, $1 CPUs" $out
	fi
}

PC="$Q -accel kvm,kernel-irqchip=split -M pc -nodefaults -display none -serial stdio -m 256M"
case "$case" in
boot1|boot2)
	cpus=${case#boot}
	run 240 $PC -no-reboot -smp "$cpus" -kernel $K -initrd /tests/guests/boot-initrd \
		-append "$APPEND"
	boot_checks "$cpus"
	check "no system reset" not grep -q 'reboot: Restarting system' $out
	common
	;;
reboot)
	run 400 $PC -smp 1 -kernel $K -initrd /tests/guests/boot-initrd \
		-append "$APPEND plumb_reboot"
	boot_checks 1
	check "the first boot asked for a reset" grep -q '^PLUMB-REBOOT boot=1 rebooting' $out
	check "the kernel restarted the system once" \
		test "$(grep -c 'reboot: Restarting system' $out)" -eq 1
	check "two boots reached the marker ($(markers))" test "$(markers)" -eq 2
	check "the second boot found the first one's CMOS mark" \
		grep -q '^PLUMB-REBOOT boot=2 powering off' $out
	check "no step of the reset failed" not grep -q '^PLUMB-REBOOT FAIL' $out
	common
	;;
microvm)
	run 240 $Q-microvm -accel kvm,kernel-irqchip=split -M microvm -nodefaults \
		-display none -serial stdio -no-reboot -m 256M -smp 1 \
		-kernel $K -initrd /tests/guests/boot-initrd -append "$APPEND"
	boot_checks 1
	common
	;;
virtio)
	D=/tmp/qk-vdisk.ext4
	W=/tmp/qk-www
	cp /tests/guests/vdisk.ext4 $D
	want=$(debugfs -R "cat /host.txt" $D 2>/dev/null | md5sum | cut -d' ' -f1)
	mkdir -p $W
	head -c 1048576 /dev/urandom > $W/fetch.bin
	fsum=$(md5sum $W/fetch.bin | cut -d' ' -f1)
	ip link set lo up
	httpd -f -p 127.0.0.1:8080 -h $W &
	httpd=$!
	: > /tmp/qk-hvc.out
	run 360 $PC -no-reboot -smp 1 -kernel $K -initrd /tests/guests/virtio-initrd-6.12 \
		-append "$APPEND nmi_watchdog=0 vt_md5=$want vt_fetch=http://10.0.2.2:8080/fetch.bin" \
		-drive file=$D,if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
		-device virtio-rng-pci -device virtio-serial-pci \
		-chardev file,id=hvc,path=/tmp/qk-hvc.out -device virtconsole,chardev=hvc
	kill $httpd 2>/dev/null
	wait $httpd 2>/dev/null
	check "the guest's /init ran" grep -q '^PLUMB-VT start' $out
	check "it finished" grep -q '^PLUMB-VT done' $out
	check "no step failed" not grep -q '^PLUMB-VT FAIL' $out
	check "hvc0 (virtconsole) wrote to its chardev" grep -q '^PLUMB-VT hvc0 says hello' /tmp/qk-hvc.out
	check "/dev/vda appeared" grep -q '^PLUMB-VT ok: /dev/vda' $out
	check "ext4 on virtio-blk mounted" grep -q '^PLUMB-VT ok: ext4 mounted' $out
	check "the host's file read back intact ($want)" grep -q "^PLUMB-VT ok: host.txt md5 $want " $out
	check "hwrng is virtio-rng" grep -q '^PLUMB-VT rng virtio_rng' $out
	gline=$(grep -m1 '^PLUMB-VT guest.bin' $out | tr -d '\r')
	gsum=$(echo "$gline" | cut -d' ' -f4)
	hsum=$(debugfs -R "cat /guest.bin" $D 2>/dev/null | md5sum | cut -d' ' -f1)
	check "1 MiB from hwrng written ($gline)" test "$(echo "$gline" | cut -d' ' -f3)" = 1048576
	check "the host reads the guest's file out of the image (md5 $hsum)" \
		test -n "$gsum" -a "$gsum" = "$hsum"
	check "eth0 (virtio-net) up" grep -q '^PLUMB-VT ok: eth0 up' $out
	fline=$(grep -m1 '^PLUMB-VT fetched' $out | tr -d '\r')
	check "1 MiB fetched through slirp intact (host md5 $fsum; $fline)" \
		test "$(echo "$fline" | cut -d' ' -f3,4)" = "1048576 $fsum"
	check "no transmit timeout in the guest (NETDEV WATCHDOG)" \
		not grep -Eq 'NETDEV WATCHDOG|TX timeout' $out
	common
	rm -rf $D $W
	;;
*)
	fail "unknown case '$case'"
	;;
esac
show_state
cleanup
done_
