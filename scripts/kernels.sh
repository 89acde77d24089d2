#!/bin/bash
# Which Debian kernels plumb builds against and boots in the emulated hosts.
#
#   kernels.sh kdir            the default KDIR: newest Debian amd64 headers
#   kernels.sh kver 6.1|6.12   the kernel release used for that series
#   kernels.sh packages        the header and image packages `make deps` wants
#
# Never `uname -r`: the development machine's own kernel is not a Debian one.
set -euo pipefail

series_re() {
	case "$1" in
	6.1) echo '^6\.1\.0-[0-9]+-amd64$' ;;
	6.12) echo '^6\.12\.[0-9]+\+deb12-amd64$' ;;
	*) echo "kernels.sh: unknown series '$1' (6.1 or 6.12)" >&2; exit 2 ;;
	esac
}

# Installed header trees, newest last.
installed() {
	local d
	for d in /usr/src/linux-headers-*-amd64; do
		[ -e "$d/Makefile" ] || continue
		basename "$d" | sed 's/^linux-headers-//'
	done | sort -V
}

case "${1:-}" in
kdir)
	k=$(installed | grep -E '^6\.[0-9]+\.[0-9]+(-[0-9]+)?(\+deb12)?-amd64$' | tail -n 1 || true)
	if [ -z "$k" ]; then
		echo "kernels.sh: no Debian amd64 kernel headers installed: run 'make deps' or pass KDIR=" >&2
		exit 1
	fi
	echo "/usr/src/linux-headers-$k"
	;;
kver)
	re=$(series_re "${2:-}")
	k=$(installed | grep -E "$re" | tail -n 1 || true)
	if [ -z "$k" ]; then
		echo "kernels.sh: no $2 headers installed: run 'make deps'" >&2
		exit 1
	fi
	echo "$k"
	;;
packages)
	# 6.1: whatever linux-headers-amd64 currently points at.
	v61=$(apt-cache depends linux-headers-amd64 2>/dev/null |
	      sed -n 's/.*Depends: linux-headers-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1)
	# 6.12: the newest release for which both headers and image exist.
	v612=$(apt-cache pkgnames linux-image-6.12 2>/dev/null |
	       sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12-amd64\)$/\1/p' | sort -V |
	       while read -r v; do
		       apt-cache show "linux-headers-$v" >/dev/null 2>&1 && echo "$v"
	       done | tail -n 1)
	if [ -z "$v61" ] || [ -z "$v612" ]; then
		echo "kernels.sh: cannot find Debian 6.1/6.12 kernels in the archive (apt-get update?)" >&2
		exit 1
	fi
	echo "linux-headers-$v61 linux-headers-$v612"
	echo "linux-image-$v61 linux-image-$v612"
	;;
*)
	echo "usage: kernels.sh kdir | kver 6.1|6.12 | packages" >&2
	exit 2
	;;
esac
