#!/bin/bash
# mkvirtio.sh KVER ROOT: what the virtio tests add to the emulated host's
# initramfs at ROOT (mkinitramfs.sh calls it).
#  - /tests/guests/virtio-initrd-SERIES: a busybox initramfs for Debian's
#    kernel SERIES as a guest, with the virtio, virtio-net and ext4 modules
#    that kernel builds as modules (.ko.xz decompressed for plain insmod),
#    in load order in /modules.list, and tests/guests/vinit.sh as /init;
#  - /tests/guests/vdisk.ext4: an ext4 image holding /host.txt;
#  - /netmods: the host kernel's tun and bridge modules;
#  - debugfs, to read the guest's files back out of the image.
set -euo pipefail
cd "$(dirname "$0")/../.."

kver=$1
root=$2

# Deps first. Whatever a kernel has built in is simply not found.
guest_mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
	virtio_pci virtio_mmio virtio_blk virtio-rng virtio_console failover
	net_failover virtio_net crc16 mbcache jbd2 crc32c_generic ext4"

copy_mods() { # copy_mods KVER DEST NAME... -> names copied, in order
	local k=$1 dest=$2 m f
	shift 2
	for m in "$@"; do
		f=$(find "build/kernels/$k/lib/modules/$k/kernel" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
		[ -n "$f" ] || continue
		case "$f" in
		*.xz) xz -dc "$f" > "$dest/$m.ko" ;;
		*) cp "$f" "$dest/$m.ko" ;;
		esac
		echo "$m"
	done
}

for series in 6.1 6.12; do
	gk=$(scripts/kernels.sh kver "$series")
	g=$(mktemp -d)
	mkdir -p "$g"/{bin,dev,proc,sys,mnt,tmp,lib/modules}
	cp /bin/busybox "$g/bin/busybox"
	ln -s busybox "$g/bin/sh"
	mknod -m 600 "$g/dev/console" c 5 1
	install -m 0755 tests/guests/vinit.sh "$g/init"
	# shellcheck disable=SC2086
	copy_mods "$gk" "$g/lib/modules" $guest_mods > "$g/modules.list"
	(cd "$g" && find . | cpio -o -H newc --quiet) | gzip -1 > "$root/tests/guests/virtio-initrd-$series"
	rm -rf "$g"
done

d=$(mktemp -d)
printf 'written by the host for plumb virtio-blk\n' > "$d/host.txt"
mkfs.ext4 -q -F -L plumbvt -d "$d" "$root/tests/guests/vdisk.ext4" 16M > /dev/null
rm -rf "$d"

mkdir -p "$root/netmods"
copy_mods "$kver" "$root/netmods" llc stp bridge tun > "$root/netmods/list"
mkdir -p "$root/usr/local/sbin"
cp "$(command -v debugfs)" "$root/usr/local/sbin/debugfs"
