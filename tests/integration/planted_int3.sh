# planted_int3.sh stale|live|atrip: for tests/harness/selftest.sh only
# (its list is selftest.cfg). Prints a guest oops "int3" as QEMU's stale
# int3 leaves it (decision 140): RIP just past a patched site's first byte
# with no 0xcc there ("stale"); or with the int3 still in memory ("live",
# which any kernel text patching bug could leave), or RIP on the site's
# first byte ("atrip", plumb's own bug of decision 143): those two must
# stay failures.
# Fails on a first attempt; passes in the harness's second one
# (PLUMB_RETRY=1), which only "stale" may get.
. ./lib.sh

code="fa 66 <90> c3"
[ "$1" = live ] && code="fa cc <90> c3"
[ "$1" = atrip ] && code="fa <66> 90 c3"
cat > /tmp/planted <<END
Oops: int3: 0000 [#1] PREEMPT SMP NOPTI
CPU: 0 UID: 0 PID: 0 Comm: swapper/0 Not tainted 6.12.118+deb12-amd64 #1
RIP: 0010:sched_clock_idle_wakeup_event+0x5/0x40
Code: c3 cc cc cc cc c3 cc cc cc cc 48 89 f9 48 89 c6 48 29 c1 eb bf 90 90 f3 0f 1e $code cc cc cc cc 8b 05
Kernel panic - not syncing: Fatal exception in interrupt
END
guest_log /tmp/planted
rm -f /tmp/planted
check "a second attempt (PLUMB_RETRY=${PLUMB_RETRY:-0})" test "${PLUMB_RETRY:-0}" = 1
done_
