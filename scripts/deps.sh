#!/bin/bash
# make deps: every Debian package the build, the tests and the emulated hosts
# need. Idempotent; needs root (CI runs as root). The kernel images the
# emulated hosts boot are downloaded and unpacked under build/kernels/, not
# installed: this machine's own boot setup is none of our business.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

PKGS=(
	# build
	build-essential pkg-config sparse dkms kmod linux-headers-amd64
	check libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libjson-c-dev
	# emulated hosts: QEMU (SVM), Bochs (VMX, SVM with optional features)
	qemu-system-x86 bochs bochs-term bochsbios vgabios
	# the QEMU monitor for qemu-watch.sh (decision 112)
	socat
	isolinux syslinux-common xorriso busybox-static cpio util-linux
	gawk coreutils e2fsprogs
)

# apt-cache needs lists; refresh them when they are missing or a day old.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	$SUDO apt-get update -q
fi

mapfile -t KPKGS < <(scripts/kernels.sh packages)
read -r -a HEADERS <<<"${KPKGS[0]}"
read -r -a IMAGES <<<"${KPKGS[1]}"

missing=()
for p in "${PKGS[@]}" "${HEADERS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "deps: all packages present"
fi

# Kernel images for the emulated hosts: build/kernels/<release>/{boot,lib}.
mkdir -p build/kernels
for img in "${IMAGES[@]}"; do
	kver=${img#linux-image-}
	dest=build/kernels/$kver
	[ -e "$dest/boot/vmlinuz-$kver" ] && continue
	echo "deps: fetching $img for the emulated hosts"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q "$img" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
	deb=$(ls "$tmp"/*.deb)
	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	dpkg-deb -x "$deb" "$dest.tmp"
	mv "$dest.tmp" "$dest"
	rm -rf "$tmp"
done
echo "deps: done"
