# Security review L3: a guest that floods virtio-rng with chains asking
# for 512 MiB each (tests/guests/vcheck.c "flood") must not keep the
# launcher from stopping: SIGTERM and SIGINT end it within 3 s (status
# 12), on both transports. Before the fix each chain was filled whole
# under vm->lock, and stopping waited for it.
. ./lib.sh

G=/tests/guests/vcheck.elf
for t in mmio pci; do
	for sig in TERM INT; do
		plumb run --kernel $G --virtio $t --rng -m 128 --append "$t flood" \
			> /tmp/out 2>/tmp/err < /dev/null &
		pid=$!
		i=0
		while [ $i -lt 300 ] && ! grep -q "100 chains served" /tmp/out; do
			sleep 0.1
			i=$((i + 1))
		done
		check "$t: the guest floods virtio-rng" grep -q "100 chains served" /tmp/out ||
			{ echo "--- guest output:"; tail -n 5 /tmp/out; echo "--- stderr:"; cat /tmp/err; }
		len=$(sed -n 's/.*the last one \([0-9]*\) bytes.*/\1/p' /tmp/out)
		check "$t: a chain is filled in part, not whole (${len:-no} bytes)" \
			test "${len:-0}" -gt 0 -a "${len:-0}" -le 65536
		kill -$sig $pid
		i=0
		while [ $i -lt 30 ] && kill -0 $pid 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		check "$t: SIG$sig ended the launcher within 3 s (${i}00 ms)" not kill -0 $pid
		kill -KILL $pid 2>/dev/null || true
		wait $pid; rc=$?
		check "$t: status 12 after SIG$sig (rc $rc)" test "$rc" -eq 12
		cat /tmp/err
	done
done
done_
