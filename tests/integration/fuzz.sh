# fuzz.sh [--kvm] SEED OPS[/BOCHS_OPS] [fuzzer options]: one campaign of
# t_fuzz (/dev/plumb), or with --kvm of t_kvmfuzz (/dev/plumb-kvm, the KVM
# personality) (tests.cfg fuzz_short and kvmfuzz_short, `make fuzz`), and
# what must hold after it:
#   - the fuzzer itself passes (it checks the module's counters and the
#     kernel's FOLL_PIN counters once it has closed everything);
#   - after it exited, the counters (nr_vms, nr_vcpus, pinned_pages, in
#     /sys/module/plumb/parameters or /sys/class/misc/plumb) read 0;
#   - rmmod plumb works;
#   - MemFree, with the page cache and slab caches dropped and shrunk
#     and free pages compacted before and after, has not fallen by more
#     than FUZZ_MEM_SLACK_KB (default 32768: a gross leak, such as guest
#     RAM that was never freed; the exact checks are the counters above;
#     docs/testing.md has the measured noise). The runner checks the
#     kernel log.
# bochs-svm gets --tame: its SVM never exits a guest with IF=0 for a host
# interrupt and cannot deliver a triple fault, so a wild guest hangs it.
# t_kvmfuzz on QEMU's SVM gets --avoid sregs,crs: QEMU 7.2 aborts on
# segment attributes no descriptor could give (F-fuzz-3), runs the host on
# with the guest's CR0 after a #VMEXIT from EFER.LME without CR0.PG and
# CR4.PAE (F-fuzz-4), states that SET_SREGS takes and a guest's own MOV
# to CR0/CR4 reaches there, and aborts when a guest writes CR8 while a
# virtual interrupt waits (F-kvmfuzz-2).
. ./lib.sh
prog=t_fuzz
if [ "$1" = --kvm ]; then
	prog=t_kvmfuzz
	shift
fi
seed=$1
ops=${2%/*}
# Bochs (PLUMB_SLOW > 1) is ~10 times slower: OPS/BOCHS_OPS picks its count.
[ "${PLUMB_SLOW:-1}" -gt 1 ] && ops=${2#*/}
shift 2
opts=
[ "$PLUMB_HOST" = bochs-svm ] && opts=--tame
case $prog/$PLUMB_HOST in
t_kvmfuzz/qemu-svm*) opts="$opts --avoid sregs,crs" ;;
esac
slack=${FUZZ_MEM_SLACK_KB:-32768}

memfree() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 > "$f" 2>/dev/null
	done
	echo 1 > /proc/sys/vm/compact_memory 2>/dev/null
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
}
free0=$(memfree)
grep -E '^(MemFree|Mlocked|Unevictable):' /proc/meminfo | tr -s ' ' | tr '\n' ' '
echo
# shellcheck disable=SC2086
check "$prog $seed $ops $* $opts" ./$prog "$seed" "$ops" "$@" $opts
for c in nr_vms nr_vcpus pinned_pages; do
	for d in /sys/module/plumb/parameters /sys/class/misc/plumb; do
		[ -r "$d/$c" ] || continue
		v=$(cat "$d/$c")
		check "after exit: $d/$c = $v" [ "$v" = 0 ]
	done
done
check "rmmod plumb after the campaign" rmmod plumb
free1=$(memfree)
grep -E '^(MemFree|Mlocked|Unevictable):' /proc/meminfo | tr -s ' ' | tr '\n' ' '
echo
check "MemFree before ${free0} kB, after rmmod ${free1} kB: lost $((free0 - free1)) kB (slack ${slack} kB)" \
	[ $((free0 - free1)) -le "$slack" ]
done_
