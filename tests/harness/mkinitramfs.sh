#!/bin/bash
# mkinitramfs.sh KVER OUT.cpio.gz
# The emulated host's whole userspace: busybox, plumb.ko built for KVER, the
# launcher, the test programs and scripts, and the shared libraries they use.
set -euo pipefail
cd "$(dirname "$0")/../.."

kver=$1
out=$2
ko=${PLUMB_KO:-build/kmod/$kver/plumb.ko}	# selftest.sh swaps in broken ones
[ -f "$ko" ] || { echo "mkinitramfs: $ko missing (tests/run.sh builds it)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"	# mktemp's 0700 would lock non-root users out of /
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc/udev/rules.d,proc,sys,dev,tmp,root,plumb,tests,harness}

cp /bin/busybox "$root/bin/busybox"
install -m 0755 tests/harness/init "$root/init"
cp tests/harness/guest-runner.sh "$root/harness/"
cp "$ko" "$root/plumb/plumb.ko"
cp packaging/60-plumb.rules "$root/etc/udev/rules.d/"
cp user/plumb "$root/usr/local/bin/plumb"
cp tests/integration/*.cfg tests/integration/*.sh "$root/tests/"
cp bench/bench.cfg bench/*.sh bench/exitbench "$root/tests/"
# kmod's insmod/rmmod, as users have them (see guest-runner.sh).
mkdir -p "$root/usr/local/sbin"
cp "$(command -v kmod)" "$root/usr/local/sbin/kmod"
for t in insmod rmmod lsmod modinfo modprobe; do
	ln -s kmod "$root/usr/local/sbin/$t"
done
# Debian's own KVM for the coexistence tests and the benchmarks, uncompressed
# (6.12 ships .ko.xz) so that plain insmod loads them.
mkdir -p "$root/kvm"
mods=build/kernels/$kver/lib/modules/$kver/kernel
for m in virt/lib/irqbypass drivers/crypto/ccp/ccp arch/x86/kvm/kvm \
	 arch/x86/kvm/kvm-amd arch/x86/kvm/kvm-intel; do
	if [ -f "$mods/$m.ko" ]; then
		cp "$mods/$m.ko" "$root/kvm/"
	elif [ -f "$mods/$m.ko.xz" ]; then
		xz -dc "$mods/$m.ko.xz" > "$root/kvm/$(basename "$m").ko"
	else
		echo "mkinitramfs: $mods/$m.ko missing" >&2
		exit 1
	fi
done
mkdir -p "$root/tests/guests"
cp tests/guests/*.bin tests/guests/*.elf "$root/tests/guests/"
# A real guest for `plumb run`: this very kernel, and a tiny initrd.
cp "build/kernels/$kver/boot/vmlinuz-$kver" "$root/tests/guests/vmlinuz"
echo "plumb test initrd" | gzip -1 > "$root/tests/guests/tiny-initrd"
# Both Debian kernels as guests (run_linux.sh), and the initramfs they boot
# into: /init prints the marker and powers off; /dev/console for its output.
for series in 6.1 6.12; do
	gk=$(scripts/kernels.sh kver "$series")
	cp "build/kernels/$gk/boot/vmlinuz-$gk" "$root/tests/guests/vmlinuz-$series"
done
groot=$(mktemp -d)
mkdir -p "$groot"/{dev,proc,sys}
mknod -m 600 "$groot/dev/console" c 5 1
install -m 0755 tests/guests/bootinit "$groot/init"
(cd "$groot" && find . | cpio -o -H newc --quiet) | gzip -1 > "$root/tests/guests/boot-initrd"
rm -rf "$groot"
# The virtio tests' guest initramfs, disk image, tun/bridge, debugfs.
tests/harness/mkvirtio.sh "$kver" "$root"
bins=(user/plumb "$(command -v kmod)" bench/exitbench "$(command -v debugfs)")
for src in tests/integration/t_*.c; do
	b=${src%.c}
	cp "$b" "$root/tests/"
	bins+=("$b")
done

# Shared libraries of every binary, at the same paths as here.
for b in "${bins[@]}"; do
	ldd "$b" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# The loader is found through /lib64 on Debian.
if [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
	mkdir -p "$root/lib64"
	cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
fi

cat > "$root/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > "$root/etc/group" <<GR
root:x:0:
plumb:x:990:
nogroup:x:65534:
GR

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
