# Shell helpers of the soak tests (sourced after lib.sh; busybox sh).
# plumb.ko's object counters: /sys/class/misc/plumb/{nr_vms,nr_vcpus,
# pinned_pages} (docs/abi.md), and /sys/module/plumb/parameters/ ones of
# the same names where a module has them. Prints "name=value ...".
counters() {
	_c=
	for _d in /sys/class/misc/plumb /sys/module/plumb/parameters; do
		for _n in nr_vms nr_vcpus pinned_pages; do
			[ -r "$_d/$_n" ] && _c="$_c ${_d##*/}/$_n=$(cat "$_d/$_n")"
		done
	done
	echo "${_c# }"
}
# counters_zero [SECS]: all counters 0, waiting up to SECS (default 5) for
# the last fds of a killed process to be released. False if none exists.
counters_zero() {
	_w=${1:-5}
	_i=0
	while :; do
		_c=$(counters)
		[ -n "$_c" ] || return 1
		echo "$_c" | tr ' ' '\n' | grep -qv '=0$' || return 0
		[ $_i -ge $((_w * 10)) ] && return 1
		usleep 100000
		_i=$((_i + 1))
	done
}
meminfo() { sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo; }
