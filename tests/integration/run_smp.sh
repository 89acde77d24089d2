# plumb run --cpus N with tests/guests/smpup.S: the BSP starts all other
# vCPUs with one broadcast INIT and start-up IPI, each AP counts itself in
# and halts, and the BSP reports how many CPUs came up through port 0xf4:
# status (N << 1) | 1. Up to the module's limit of 64 vCPUs; one more is
# refused before anything runs (status 4).
. ./lib.sh

G=/tests/guests
max=$(plumb info 2>/dev/null | sed -n 's/^max-vcpus: *//p')
check "the module allows 64 vCPUs (plumb info: ${max:-none})" test "$max" = 64
for n in 2 16 64; do
	limited 120 plumb run --cpus $n --flat $G/smpup-64.bin@0x1000,64 \
		< /dev/null > /dev/null 2>/tmp/err
	rc=$?
	want=$(((n << 1) | 1))
	check "--cpus $n: all $n CPUs came up, status $want (rc $rc)" test "$rc" -eq $want
	[ "$rc" -eq $want ] || cat /tmp/err
done
plumb run --cpus 65 --flat $G/smpup-64.bin@0x1000,64 > /dev/null 2>/tmp/err
rc=$?
check "--cpus 65 is refused as bad input: status 4 (rc $rc)" test "$rc" -eq 4
check "  in one line: $(cat /tmp/err)" grep -q -- "--cpus 65" /tmp/err
done_
